{{/*
Names and labels.
*/}}
{{- define "switchboard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "switchboard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "switchboard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable over upgrades (Deployment selectors are immutable). */}}
{{- define "switchboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "switchboard.labels" -}}
helm.sh/chart: {{ include "switchboard.chart" . }}
{{ include "switchboard.selectorLabels" . }}
app.kubernetes.io/version: {{ include "switchboard.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: switchboard
{{- end }}

{{/* Component labels: call with (dict "ctx" $ "component" "web"). */}}
{{- define "switchboard.componentSelectorLabels" -}}
{{ include "switchboard.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "switchboard.componentLabels" -}}
{{ include "switchboard.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "switchboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "switchboard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "switchboard.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "switchboard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "switchboard.imageTag" .) }}
{{- end }}
{{- end }}

{{- define "switchboard.secretName" -}}
{{- default (include "switchboard.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "switchboard.configMapName" -}}
{{- include "switchboard.fullname" . }}
{{- end }}

{{/*
Render-time checks: a created Secret must carry what the chosen connection modes
read; a mistake fails `helm install` instead of crash-looping pods.
*/}}
{{- define "switchboard.validate" -}}
{{- $s := .Values.secrets }}
{{- if not $s.existingSecret }}
{{- if not $s.secretKey }}
{{- fail "secrets.secretKey is required (32 random bytes, base64: head -c32 /dev/urandom | base64), or set secrets.existingSecret" }}
{{- end }}
{{- if and (not .Values.postgresql.host) (not $s.databaseUrl) }}
{{- fail "secrets.databaseUrl is required (postgres://…), or set postgresql.host with secrets.postgresPassword, or secrets.existingSecret" }}
{{- end }}
{{- if and .Values.postgresql.host (not $s.postgresPassword) }}
{{- fail "secrets.postgresPassword is required with postgresql.host, or set secrets.existingSecret" }}
{{- end }}
{{- if and (not .Values.redis.host) (not .Values.redis.sentinel.enabled) (not $s.redisUrl) }}
{{- fail "secrets.redisUrl is required (redis://…), or set redis.host or redis.sentinel, or secrets.existingSecret" }}
{{- end }}
{{- end }}
{{- if and .Values.redis.sentinel.enabled (not .Values.redis.sentinel.addresses) }}
{{- fail "redis.sentinel.addresses must list the sentinels (host:port) when redis.sentinel.enabled" }}
{{- end }}
{{- end }}

{{/*
Secret environment: every secret setting through secretKeyRef, never a literal.
Dependent URLs reference the password variables with $(VAR), which the kubelet
expands in the pod; the variables must come first.
Call with (dict "ctx" $ "database" true "app" true [ "secretName" name ]).
*/}}
{{- define "switchboard.secretEnv" -}}
{{- $ := .ctx }}
{{- $secret := default (include "switchboard.secretName" $) .secretName }}
{{- $k := $.Values.secrets.keys }}
{{- $existing := $.Values.secrets.existingSecret }}
{{- if .database }}
{{- if $.Values.postgresql.host }}
- name: SB_POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.postgresPassword }}
- name: SWITCHBOARD_DATABASE_URL
  value: {{ printf "postgres://%s:$(SB_POSTGRES_PASSWORD)@%s:%d/%s?sslmode=%s" $.Values.postgresql.user $.Values.postgresql.host (int $.Values.postgresql.port) $.Values.postgresql.database $.Values.postgresql.sslMode | quote }}
{{- else }}
- name: SWITCHBOARD_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.databaseUrl }}
{{- end }}
{{- end }}
{{- if .app }}
{{- $r := $.Values.redis }}
{{- if or $r.host $r.sentinel.enabled }}
- name: SB_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.redisPassword }}
      optional: true
{{- if $r.sentinel.enabled }}
- name: SWITCHBOARD_REDIS_URL
  value: {{ printf "redis-sentinel://:$(SB_REDIS_PASSWORD)@%s/%d?master=%s" (join "," $r.sentinel.addresses) (int $r.db) $r.sentinel.masterName | quote }}
{{- else }}
- name: SWITCHBOARD_REDIS_URL
  value: {{ printf "%s://:$(SB_REDIS_PASSWORD)@%s:%d/%d" (ternary "rediss" "redis" $r.tls) $r.host (int $r.port) (int $r.db) | quote }}
{{- end }}
{{- else }}
- name: SWITCHBOARD_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.redisUrl }}
{{- end }}
- name: SWITCHBOARD_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.secretKey }}
- name: SWITCHBOARD_RETIRED_SECRET_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.retiredSecretKeys }}
      optional: true
- name: SWITCHBOARD_BILLING__STRIPE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.stripeSecretKey }}
      optional: true
- name: SWITCHBOARD_BILLING__STRIPE_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $k.stripeWebhookSecret }}
      optional: true
{{- end }}
{{- end }}

{{/* Volumes shared by every pod: /tmp and the data dir, both emptyDir. */}}
{{- define "switchboard.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.dataSizeLimit }}
{{- end }}

{{- define "switchboard.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/switchboard
{{- end }}

{{/* Pod scheduling and identity shared by web and worker. */}}
{{- define "switchboard.podCommon" -}}
serviceAccountName: {{ include "switchboard.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod template annotations that roll the pods when settings change. */}}
{{- define "switchboard.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}
