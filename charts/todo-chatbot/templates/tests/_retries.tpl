{{/*
Retry settings of the `helm test` containers (test-connection.yaml): the pods may still be
settling right after an install or upgrade, so each check tries a bounded number of times.
*/}}
{{- define "todo-chatbot.testRetries" -}}
- name: ATTEMPTS
  value: "10"
- name: RETRY_DELAY_SECONDS
  value: "3"
{{- end }}
