{{/*
Chart name, truncated to 63 characters (the DNS label limit of Kubernetes names).
*/}}
{{- define "zonekeeper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: "<release>-<chart>" unless the release name already contains the chart name.
*/}}
{{- define "zonekeeper.fullname" -}}
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

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "zonekeeper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "zonekeeper.labels" -}}
helm.sh/chart: {{ include "zonekeeper.chart" . }}
{{ include "zonekeeper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zonekeeper
{{- end }}

{{/*
Selector labels (immutable in a Deployment: keep them stable).
*/}}
{{- define "zonekeeper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zonekeeper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount.
*/}}
{{- define "zonekeeper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zonekeeper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding the TSIG key.
*/}}
{{- define "zonekeeper.tsigSecretName" -}}
{{- if .Values.tsig.existingSecret }}
{{- .Values.tsig.existingSecret }}
{{- else }}
{{- printf "%s-tsig" (include "zonekeeper.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Image references.
*/}}
{{- define "zonekeeper.operatorImage" -}}
{{- printf "%s:%s" .Values.image.operator.repository (default .Chart.AppVersion .Values.image.operator.tag) }}
{{- end }}

{{- define "zonekeeper.dnsServerImage" -}}
{{- printf "%s:%s" .Values.image.dnsServer.repository (default .Chart.AppVersion .Values.image.dnsServer.tag) }}
{{- end }}

{{/*
Cluster domain without a trailing dot.
*/}}
{{- define "zonekeeper.clusterDomain" -}}
{{- trimSuffix "." .Values.clusterDomain }}
{{- end }}

{{/*
Container securityContext meeting the Pod Security Standard "restricted".
*/}}
{{- define "zonekeeper.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Pod securityContext meeting the Pod Security Standard "restricted".
*/}}
{{- define "zonekeeper.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Comma-separated names of the extra zones, without trailing dots.
*/}}
{{- define "zonekeeper.zoneNames" -}}
{{- $names := list }}
{{- range .Values.zones }}
{{- $names = append $names (trimSuffix "." .name) }}
{{- end }}
{{- join "," $names }}
{{- end }}

{{/*
The JVM settings of a container (argument: its javaOpts): JAVA_TOOL_OPTIONS, and at most two glibc malloc arenas
(the default is eight per core, each holding freed native memory; no effect on musl-based images).
*/}}
{{- define "zonekeeper.jvmEnv" -}}
{{- if . }}
- name: JAVA_TOOL_OPTIONS
  value: {{ . | quote }}
{{- end }}
- name: MALLOC_ARENA_MAX
  value: "2"
{{- end }}
