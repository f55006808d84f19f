{{/*
Names as the real kube-prometheus-stack derives them: the release name when it contains the chart
name (release kube-prometheus-stack -> kube-prometheus-stack-operator, -prometheus), else
<release>-<chart>; at most 26 characters.
*/}}
{{- define "kps.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 26 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 26 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 26 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kps.operator.fullname" -}}{{ include "kps.fullname" . }}-operator{{- end -}}
{{- define "kps.prometheus.fullname" -}}{{ include "kps.fullname" . }}-prometheus{{- end -}}

{{/* Labels of every object (the real chart's `release` label included: its selectors use it). */}}
{{- define "kps.labels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
app.kubernetes.io/version: {{ .Chart.Version | quote }}
chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
release: {{ .Release.Name | quote }}
heritage: {{ .Release.Service | quote }}
org.todo-chatbot/ci-stand-in: "true"
{{- end -}}

{{- define "kps.image" -}}
{{- printf "%s/%s:%s" .registry .repository .tag -}}
{{- end -}}

{{/*
A selector of the Prometheus resource, as the real chart writes it: the value when set; else, with
<name>NilUsesHelmValues true, only objects labelled release: <release>; else {} (everything).
Call with (dict "root" $ "name" "serviceMonitorSelector").
*/}}
{{- define "kps.selector" -}}
{{- $spec := .root.Values.prometheus.prometheusSpec -}}
{{- $value := index $spec .name -}}
{{- if $value -}}
{{ .name }}:
  {{- toYaml $value | nindent 2 }}
{{- else if index $spec (printf "%sNilUsesHelmValues" .name) -}}
{{ .name }}:
  matchLabels:
    release: {{ .root.Release.Name | quote }}
{{- else -}}
{{ .name }}: {}
{{- end -}}
{{- end -}}
