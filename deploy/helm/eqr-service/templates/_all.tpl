{{/*
The one entry point a service chart calls: `{{ include "eqr-service.all" . }}` renders every
resource of the service from the chart's values laid over the library defaults.
*/}}
{{- define "eqr-service.all" -}}
{{- $values := include "eqr-service.values" . | fromYaml -}}
{{- $ctx := dict "Values" $values "Release" .Release "Chart" .Chart "Capabilities" .Capabilities -}}
{{ include "eqr-service.serviceaccount" $ctx }}
---
{{ include "eqr-service.configmap" $ctx }}
{{- if $values.secretEnv }}
---
{{ include "eqr-service.secret" $ctx }}
{{- end }}
---
{{ include "eqr-service.service" $ctx }}
---
{{ include "eqr-service.deployment" $ctx }}
{{- if $values.autoscaling.enabled }}
---
{{ include "eqr-service.hpa" $ctx }}
{{- end }}
{{- if $values.podDisruptionBudget.enabled }}
---
{{ include "eqr-service.pdb" $ctx }}
{{- end }}
{{- if $values.migrations.enabled }}
{{- if $values.secretEnv }}
---
{{ include "eqr-service.migrationSecret" $ctx }}
{{- end }}
---
{{ include "eqr-service.migrationJob" $ctx }}
{{- end }}
{{- end -}}
