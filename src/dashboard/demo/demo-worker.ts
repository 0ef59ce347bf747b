/**
 * Entry point of the demo worker thread (started by start-demo.ts): hands the port to the
 * parent and the settings to hostDemo, which runs ingest, PGlite, training, scoring and the
 * Monitor engine here, off the dashboard's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hostDemo, type DemoWorkerData } from './demo-host.js';

if (parentPort) void hostDemo(parentPort, workerData as DemoWorkerData);
