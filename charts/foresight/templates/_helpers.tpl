{{/*
Names, labels and the pieces every Foresight pod shares: image, security contexts, the
environment that carries connection settings and secrets, and the volumes (config, key, /tmp).
*/}}

{{- define "foresight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "foresight.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<component>, within the 63 characters of a label value. */}}
{{- define "foresight.componentName" -}}
{{- printf "%s-%s" (include "foresight.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "foresight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "foresight.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Call with (dict "root" $ "component" "detector"); component may be empty. */}}
{{- define "foresight.labels" -}}
{{ include "foresight.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: foresight
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "foresight.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "foresight.namespaced" -}}
{{- if .Values.watchNamespaces }}true{{ end -}}
{{- end -}}

{{/* The API version of PodDisruptionBudget and CronJob: v1 from Kubernetes 1.21 on. */}}
{{- define "foresight.pdbApiVersion" -}}
{{- if semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version -}}policy/v1{{- else -}}policy/v1beta1{{- end -}}
{{- end -}}
{{- define "foresight.cronJobApiVersion" -}}
{{- if semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version -}}batch/v1{{- else -}}batch/v1beta1{{- end -}}
{{- end -}}

{{- define "foresight.anonymizationSecretName" -}}
{{- default (printf "%s-anonymization" (include "foresight.fullname" .)) .Values.anonymization.existingSecret -}}
{{- end -}}

{{- define "foresight.anonymizationKeyName" -}}
{{- if .Values.anonymization.existingSecret }}{{ .Values.anonymization.keyKey }}{{ else }}key{{ end -}}
{{- end -}}

{{/* The database URL without a password; the password comes from the Secret at start-up. */}}
{{- define "foresight.databaseUrl" -}}
{{- $pg := .Values.postgresql -}}
{{- $query := list -}}
{{- range $k, $v := $pg.params -}}
{{- $query = append $query (printf "%s=%s" (urlquery $k) (urlquery (toString $v))) -}}
{{- end -}}
{{- printf "postgres://%s@%s:%d/%s" (urlquery $pg.user) $pg.host (int $pg.port) (urlquery $pg.database) -}}
{{- if $query }}?{{ join "&" $query }}{{ end -}}
{{- end -}}

{{- define "foresight.configChecksum" -}}
{{- include (print .Template.BasePath "/configmap.yaml") . | sha256sum -}}
{{- end -}}

{{/*
Environment of every Foresight container: where NATS and PostgreSQL are (with secrets by
reference, never inlined) and the anonymization key file. Call with (dict "root" $ "key" bool).
*/}}
{{- define "foresight.env" -}}
{{- $v := .root.Values -}}
- name: FORESIGHT_LOG_FORMAT
  value: json
{{- if $v.nats.existingSecret }}
- name: FORESIGHT_NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.nats.existingSecret }}
      key: {{ $v.nats.urlKey }}
{{- else }}
- name: FORESIGHT_NATS_URL
  value: {{ $v.nats.url | quote }}
{{- end }}
{{- if and $v.postgresql.existingSecret $v.postgresql.urlKey }}
- name: FORESIGHT_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.postgresql.existingSecret }}
      key: {{ $v.postgresql.urlKey }}
{{- else }}
- name: FORESIGHT_DATABASE_URL
  value: {{ include "foresight.databaseUrl" .root | quote }}
{{- if $v.postgresql.existingSecret }}
- name: FORESIGHT_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.postgresql.existingSecret }}
      key: {{ $v.postgresql.passwordKey }}
{{- end }}
{{- end }}
{{- if and .key $v.anonymization.enabled }}
- name: FORESIGHT_ANON_KEY_FILE
  value: /var/run/secrets/foresight/anonymization/{{ include "foresight.anonymizationKeyName" .root }}
{{- end }}
{{- end -}}

{{/* Volume mounts matching foresight.volumes. Call with (dict "root" $ "key" bool). */}}
{{- define "foresight.volumeMounts" -}}
- name: config
  mountPath: /etc/foresight
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if and .key .root.Values.anonymization.enabled }}
- name: anonymization-key
  mountPath: /var/run/secrets/foresight/anonymization
  readOnly: true
{{- end }}
{{- if .root.Values.nats.tls.existingSecret }}
- name: nats-tls
  mountPath: /var/run/secrets/foresight/nats-tls
  readOnly: true
{{- end }}
{{- if .root.Values.nats.auth.existingSecret }}
- name: nats-auth
  mountPath: /var/run/secrets/foresight/nats-auth
  readOnly: true
{{- end }}
{{- end -}}

{{- define "foresight.volumes" -}}
- name: config
  configMap:
    name: {{ include "foresight.componentName" (dict "root" .root "component" "config") }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- if and .key .root.Values.anonymization.enabled }}
- name: anonymization-key
  secret:
    secretName: {{ include "foresight.anonymizationSecretName" .root }}
    defaultMode: 0440
    items:
      - key: {{ include "foresight.anonymizationKeyName" .root }}
        path: {{ include "foresight.anonymizationKeyName" .root }}
{{- end }}
{{- with .root.Values.nats.tls }}
{{- if .existingSecret }}
- name: nats-tls
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 0440
    items:
      {{- range $key := list .caKey .certKey .keyKey }}
      {{- if $key }}
      - key: {{ $key }}
        path: {{ $key }}
      {{- end }}
      {{- end }}
{{- end }}
{{- end }}
{{- with .root.Values.nats.auth }}
{{- if .existingSecret }}
- name: nats-auth
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ default .nkeySeedKey .credsKey }}
        path: {{ default .nkeySeedKey .credsKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Scheduling settings of one component's pod spec. Call with the component's values. */}}
{{- define "foresight.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{- define "foresight.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* HTTP probes on /healthz and /readyz of a named port. */}}
{{- define "foresight.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  initialDelaySeconds: 10
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: {{ .readyPath | default "/readyz" }}
    port: {{ .port }}
  periodSeconds: 5
  timeoutSeconds: 5
  failureThreshold: 3
{{- end -}}
