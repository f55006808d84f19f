{{/*
Chart name, overridable with nameOverride. Trimmed to 63 characters: the DNS label limit of
Kubernetes names and label values.
*/}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name alone when it already
contains the chart name. Trimmed to 63 characters.
*/}}
{{- define "todo-chatbot.fullname" -}}
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
Name of one component's objects: <fullname>-<component>. The fullname is cut first so the
component suffix always survives: "frontend" and "backend" objects never collide.
Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.componentName" -}}
{{- $suffix := printf "-%s" .component }}
{{- printf "%s%s" (include "todo-chatbot.fullname" .root | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object of the release.
*/}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" . }}
{{ include "todo-chatbot.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "todo-chatbot.name" . }}
{{- end }}

{{/*
Selector labels of the release (docs/ARCHITECTURE.md "Kubernetes labels"). Immutable in a
Deployment's selector: never add a label here that can change between releases.
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component's objects. Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.componentLabels" -}}
{{ include "todo-chatbot.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Selector labels of one component's pods. Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.componentSelectorLabels" -}}
{{ include "todo-chatbot.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
ServiceAccount of one component: the chart's own when serviceAccount.create, otherwise the
named one (or "default"). Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.serviceAccountName" -}}
{{- $serviceAccount := (index .root.Values .component).serviceAccount }}
{{- if $serviceAccount.create }}
{{- default (include "todo-chatbot.componentName" .) $serviceAccount.name }}
{{- else }}
{{- default "default" $serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret the pods read: existingSecret when given, otherwise the chart's own.
*/}}
{{- define "todo-chatbot.secretName" -}}
{{- default (include "todo-chatbot.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
Image reference of one component. Without a digest: repository:tag, the tag defaulting to the
chart's appVersion. With a digest: repository@digest, or repository:tag@digest when a tag is
set (the runtime pulls by the digest; the tag only tells people which version it is).
Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.image" -}}
{{- $image := (index .root.Values .component).image }}
{{- if $image.digest }}
{{- printf "%s%s@%s" $image.repository (ternary (printf ":%s" $image.tag) "" (not (empty $image.tag))) $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/*
In-cluster URL of the backend, computed from the backend Service's own name and port.
*/}}
{{- define "todo-chatbot.backendUrl" -}}
{{- printf "http://%s:%d" (include "todo-chatbot.componentName" (dict "root" . "component" "backend")) (int .Values.backend.service.port) }}
{{- end }}

{{/*
Origins the backend accepts: backend.config.allowedOrigins, or the frontend's public URL.
*/}}
{{- define "todo-chatbot.allowedOrigins" -}}
{{- default .Values.frontend.config.betterAuthUrl .Values.backend.config.allowedOrigins }}
{{- end }}
