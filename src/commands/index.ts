/** The subcommands of `foresight`, in the order `--help` lists them. */
import type { Command } from 'commander';
import { controllerCommand } from './controller.js';
import { dashboardCommand } from './dashboard.js';
import { demoCommand } from './demo.js';
import { detectorCommand } from './detector.js';
import { evaluateCommand } from './evaluate.js';
import { featuresCommand } from './features.js';
import { keygenCommand } from './keygen.js';
import { modelsCommand } from './models.js';
import { replayCommand } from './replay.js';
import { simulateCommand } from './simulate.js';
import { trainCommand } from './train.js';

export const commands: (() => Command)[] = [
  demoCommand,
  detectorCommand,
  controllerCommand,
  dashboardCommand,
  trainCommand,
  modelsCommand,
  evaluateCommand,
  replayCommand,
  featuresCommand,
  simulateCommand,
  keygenCommand,
];
