{{- define "eqr-service.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "eqr-service.name" . }}
  labels:
    {{- include "eqr-service.labels" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  selector:
    {{- include "eqr-service.selectorLabels" . | nindent 4 }}
  ports:
    {{- range $portName, $port := .Values.ports }}
    - name: {{ $portName }}
      port: {{ $port | int }}
      targetPort: {{ $portName }}
      protocol: TCP
    {{- end }}
{{- end -}}
