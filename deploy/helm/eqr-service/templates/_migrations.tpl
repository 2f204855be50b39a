{{/*
Migrations run as a pre-install/pre-upgrade hook Job (`python -m eqr_<id> migrate`) and the
Deployment gets MIGRATE_ON_START=false. Hooks run before the release's own ConfigMap and Secret
exist, so the Job carries its environment inline and its secret variables in a hook Secret.
*/}}
{{- define "eqr-service.migrationLabels" -}}
app.kubernetes.io/name: {{ include "eqr-service.name" . }}-migrate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: migrations
{{ include "eqr-service.commonLabels" . }}
{{- end -}}

{{- define "eqr-service.migrationSecret" -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "eqr-service.name" . }}-migrate-env
  labels:
    {{- include "eqr-service.migrationLabels" . | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-1"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
type: Opaque
stringData:
  {{- range $name, $value := .Values.secretEnv }}
  {{ $name }}: {{ $value | toString | quote }}
  {{- end }}
{{- end -}}

{{- define "eqr-service.migrationJob" -}}
{{- $name := include "eqr-service.name" . -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $name }}-migrate
  labels:
    {{- include "eqr-service.migrationLabels" . | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .Values.migrations.backoffLimit | int }}
  activeDeadlineSeconds: {{ .Values.migrations.activeDeadlineSeconds | int }}
  template:
    metadata:
      labels:
        {{- include "eqr-service.migrationLabels" . | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "eqr-service.podSecurityContext" . | nindent 8 }}
      containers:
        - name: migrate
          image: {{ include "eqr-service.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          command: ["python", "-m", {{ include "eqr-service.module" . | quote }}, "migrate"]
          env:
            {{- range $envName, $value := include "eqr-service.env" . | fromYaml }}
            - name: {{ $envName }}
              value: {{ $value | quote }}
            {{- end }}
          {{- if or .Values.secretEnv .Values.existingSecret }}
          envFrom:
            {{- if .Values.secretEnv }}
            - secretRef:
                name: {{ $name }}-migrate-env
            {{- end }}
            {{- with .Values.existingSecret }}
            - secretRef:
                name: {{ . }}
            {{- end }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- include "eqr-service.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
