{{/*
A probe of the container: `probes.<kind>` with a handler (grpc, httpGet, tcpSocket, exec) is the
whole probe; without one, its fields adjust the gRPC default on ports.grpc (e.g. failureThreshold).
*/}}
{{- define "eqr-service.probe" -}}
{{- $override := index .root.Values.probes .kind | default dict -}}
{{- $hasHandler := false -}}
{{- range list "grpc" "httpGet" "tcpSocket" "exec" }}
{{- if hasKey $override . }}{{ $hasHandler = true }}{{ end }}
{{- end -}}
{{- if $hasHandler -}}
{{ toYaml $override }}
{{- else -}}
{{- $default := include (printf "eqr-service.probe.%s" .kind) .root | fromYaml -}}
{{ toYaml (mergeOverwrite $default $override) }}
{{- end -}}
{{- end -}}

{{- define "eqr-service.probe.liveness" -}}
grpc:
  port: {{ required "ports.grpc (or a probes.liveness handler) is required" .Values.ports.grpc | int }}
periodSeconds: 10
timeoutSeconds: 2
failureThreshold: 3
{{- end -}}

{{- define "eqr-service.probe.readiness" -}}
grpc:
  port: {{ required "ports.grpc (or a probes.readiness handler) is required" .Values.ports.grpc | int }}
  {{- with .Values.grpcHealthService }}
  service: {{ . }}
  {{- end }}
periodSeconds: 5
timeoutSeconds: 2
failureThreshold: 2
{{- end -}}

{{- define "eqr-service.probe.startup" -}}
grpc:
  port: {{ required "ports.grpc (or a probes.startup handler) is required" .Values.ports.grpc | int }}
periodSeconds: 2
timeoutSeconds: 2
failureThreshold: 30
{{- end -}}

{{- define "eqr-service.deployment" -}}
{{- $name := include "eqr-service.name" . -}}
{{- $metricsPort := required (printf "metrics.port %q must name one of ports" .Values.metrics.port) (index .Values.ports .Values.metrics.port) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "eqr-service.labels" . | nindent 4 }}
    app.kubernetes.io/component: server
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount | int }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "eqr-service.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "eqr-service.labels" . | nindent 8 }}
        app.kubernetes.io/component: server
      annotations:
        checksum/env: {{ include "eqr-service.configmap" . | sha256sum }}
        checksum/secret-env: {{ toJson .Values.secretEnv | sha256sum }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $metricsPort | int | quote }}
        prometheus.io/path: {{ .Values.metrics.path | quote }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $name }}
      automountServiceAccountToken: false
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "eqr-service.podSecurityContext" . | nindent 8 }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds | int }}
      containers:
        - name: {{ $name }}
          image: {{ include "eqr-service.image" . }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            {{- range $portName, $port := .Values.ports }}
            - name: {{ $portName }}
              containerPort: {{ $port | int }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $name }}-env
            {{- if .Values.secretEnv }}
            - secretRef:
                name: {{ $name }}-env
            {{- end }}
            {{- with .Values.existingSecret }}
            - secretRef:
                name: {{ . }}
            {{- end }}
          startupProbe:
            {{- include "eqr-service.probe" (dict "root" . "kind" "startup") | nindent 12 }}
          livenessProbe:
            {{- include "eqr-service.probe" (dict "root" . "kind" "liveness") | nindent 12 }}
          readinessProbe:
            {{- include "eqr-service.probe" (dict "root" . "kind" "readiness") | nindent 12 }}
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
      topologySpreadConstraints:
        {{- with .Values.topologySpreadConstraints }}
        {{- toYaml . | nindent 8 }}
        {{- else }}
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "eqr-service.selectorLabels" . | nindent 14 }}
        {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
