{{/*
Pieces shared by the pod templates of both components.
*/}}

{{/*
The Secret as read-only files (docs/ARCHITECTURE.md "Environment"), never as environment
variables (inherited by every child process and shown by anything that dumps the environment):
each key the component reads is a file named after it in the directory SECRETS_DIR names.
*/}}
{{- define "todo-chatbot.secretsDir" -}}
/var/run/secrets/todo-chatbot
{{- end }}

{{/*
The secrets volume of one component: a projected volume with only the keys it reads. Mode 0440
(written in decimal: 288): root owns the files, the pod's fsGroup may read them, nobody else.
OPENROUTER_API_KEY may be absent from an existing Secret (the assistant then runs offline), so it
comes from a second source marked optional; a missing required key keeps the pod from starting,
as a missing secretKeyRef would. Call with (dict "root" $ "keys" (list "DATABASE_URL" ...)).
*/}}
{{- define "todo-chatbot.secretsVolume" -}}
{{- $secretName := include "todo-chatbot.secretName" .root -}}
- name: secrets
  projected:
    defaultMode: 288
    sources:
      - secret:
          name: {{ $secretName }}
          items:
            {{- range without .keys "OPENROUTER_API_KEY" }}
            - key: {{ . }}
              path: {{ . }}
            {{- end }}
      {{- if has "OPENROUTER_API_KEY" .keys }}
      - secret:
          name: {{ $secretName }}
          optional: true
          items:
            - key: OPENROUTER_API_KEY
              path: OPENROUTER_API_KEY
      {{- end }}
{{- end }}

{{/*
What each app container needs to read its secrets volume: the read-only mount and SECRETS_DIR.
*/}}
{{- define "todo-chatbot.secretsMount" -}}
- name: secrets
  mountPath: {{ include "todo-chatbot.secretsDir" . }}
  readOnly: true
{{- end }}
{{- define "todo-chatbot.secretsDirEnv" -}}
- name: SECRETS_DIR
  value: {{ include "todo-chatbot.secretsDir" . }}
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
