{{/* The kubernetes name of the service: the chart name (kebab-case service id). */}}
{{- define "eqr-service.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Python package of the service: eqr_<id>, e.g. eqr_market_data. */}}
{{- define "eqr-service.module" -}}
{{- .Values.module | default (printf "eqr_%s" (.Chart.Name | replace "-" "_")) -}}
{{- end -}}

{{- define "eqr-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eqr-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "eqr-service.commonLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: eqr
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "eqr-service.labels" -}}
{{ include "eqr-service.selectorLabels" . }}
{{ include "eqr-service.commonLabels" . }}
{{- end -}}

{{- define "eqr-service.image" -}}
{{- $repository := required "image.repository is required" .Values.image.repository -}}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
The plain environment as a YAML map of strings: global.env, then the variables derived from the
ports (GRPC_PORT, HTTP_PORT) and migrations (MIGRATE_ON_START), then the chart's env.
*/}}
{{- define "eqr-service.env" -}}
{{- $derived := dict -}}
{{- with .Values.ports.grpc }}{{ $_ := set $derived "GRPC_PORT" . }}{{ end -}}
{{- with .Values.ports.metrics }}{{ $_ := set $derived "HTTP_PORT" . }}{{ end -}}
{{- if .Values.migrations.enabled }}{{ $_ := set $derived "MIGRATE_ON_START" "false" }}{{ end -}}
{{- $global := .Values.global.env | default dict -}}
{{- $env := mergeOverwrite (dict) $global $derived .Values.env -}}
{{- $strings := dict -}}
{{- range $name, $value := $env }}{{ $_ := set $strings $name ($value | toString) }}{{ end -}}
{{- toYaml $strings -}}
{{- end -}}

{{/* Pod and container security: non-root (the image's uid 10001), read-only root, no privileges. */}}
{{- define "eqr-service.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "eqr-service.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}
