{{/*
Pieces shared by the pod templates of both components.
*/}}

{{/*
Environment from the Secret (docs/ARCHITECTURE.md "Environment"). Each component reads only
the keys it uses. Call with (dict "root" $ "keys" (list "DATABASE_URL" ...)).
OPENROUTER_API_KEY may be absent from an existing Secret: the assistant then runs offline.
*/}}
{{- define "todo-chatbot.secretEnv" -}}
{{- $secretName := include "todo-chatbot.secretName" .root }}
{{- range .keys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ . }}
      {{- if eq . "OPENROUTER_API_KEY" }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}

{{/*
Pod annotations that roll the pods when their configuration changes: the component's
ConfigMap always, the Secret only when the chart owns it (an existing Secret is not readable
at render time). Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.checksumAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/" .component "/configmap.yaml") .root | sha256sum }}
{{- if not .root.Values.existingSecret }}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- end }}
{{- end }}

{{/*
Scheduling of one component's pods. Without an explicit affinity the pods prefer distinct
nodes, so one node failure does not take every replica. Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.scheduling" -}}
{{- $values := index .root.Values .component }}
{{- with $values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if $values.affinity }}
  {{- toYaml $values.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels: {{- include "todo-chatbot.componentSelectorLabels" . | nindent 14 }}
{{- end }}
{{- with $values.topologySpreadConstraints }}
topologySpreadConstraints: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
An HTTP probe on the container's named port: the path is the app's contract, the timing
comes from values. Call with (dict "path" "/health" "timing" $values.livenessProbe).
*/}}
{{- define "todo-chatbot.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
{{- toYaml .timing | nindent 0 }}
{{- end }}
