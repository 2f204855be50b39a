{{/*
Every key a service chart may set, with its default. The chart's own values override these key
by key: maps merge, lists and scalars replace. deploy/helm/README.md documents each key.
*/}}
{{- define "eqr-service.defaults" -}}
nameOverride: ""
module: ""
replicaCount: 2
image:
  repository: ""
  tag: ""
  pullPolicy: IfNotPresent
imagePullSecrets: []
ports: {}
grpcHealthService: ""
metrics:
  port: metrics
  path: /metrics
probes: {}
env: {}
secretEnv: {}
existingSecret: ""
migrations:
  enabled: false
  backoffLimit: 3
  activeDeadlineSeconds: 600
serviceAccount:
  annotations: {}
service:
  type: ClusterIP
  annotations: {}
autoscaling:
  enabled: false
  minReplicas: 2
  maxReplicas: 6
  targetCPUUtilizationPercentage: 70
podDisruptionBudget:
  enabled: true
  maxUnavailable: 1
resources:
  requests:
    cpu: 100m
    memory: 192Mi
  limits:
    memory: 512Mi
podAnnotations: {}
terminationGracePeriodSeconds: 30
nodeSelector: {}
tolerations: []
affinity: {}
topologySpreadConstraints: []
global: {}
{{- end -}}

{{/*
The context every resource template renders with: the chart's values laid over the defaults.
*/}}
{{- define "eqr-service.values" -}}
{{- $defaults := include "eqr-service.defaults" . | fromYaml -}}
{{- mergeOverwrite $defaults (.Values | toYaml | fromYaml) | toYaml -}}
{{- end -}}
