{{- define "eqr-service.serviceaccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "eqr-service.name" . }}
  labels:
    {{- include "eqr-service.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end -}}

{{- define "eqr-service.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "eqr-service.name" . }}-env
  labels:
    {{- include "eqr-service.labels" . | nindent 4 }}
data:
  {{- include "eqr-service.env" . | nindent 2 }}
{{- end -}}

{{/* Secret variables from values (dev and CI); production points existingSecret at a managed Secret. */}}
{{- define "eqr-service.secret" -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "eqr-service.name" . }}-env
  labels:
    {{- include "eqr-service.labels" . | nindent 4 }}
type: Opaque
stringData:
  {{- range $name, $value := .Values.secretEnv }}
  {{ $name }}: {{ $value | toString | quote }}
  {{- end }}
{{- end -}}
