{{/*
Pieces of the monitoring objects (templates/metrics/, metrics.* values).
*/}}

{{/*
Port of the frontend's Prometheus metrics server (`GET /metrics`): fixed by the app, like its
HTTP port (docs/ARCHITECTURE.md). The backend serves `/metrics` on its HTTP port.
*/}}
{{- define "todo-chatbot.frontendMetricsPort" -}}
9464
{{- end }}

{{/*
The NetworkPolicyPeer allowed to scrape the apps (metrics.networkPolicy): pods of the selected
namespaces, narrowed to the selected pods when allowFromPodSelector is set.
*/}}
{{- define "todo-chatbot.metricsScrapers" -}}
{{- $policy := .Values.metrics.networkPolicy -}}
- namespaceSelector: {{- toYaml $policy.allowFromNamespaceSelector | nindent 4 }}
  {{- with $policy.allowFromPodSelector }}
  podSelector: {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
Labels and annotations of one alert. runbook_url is <runbookBaseUrl>#<alert name in lower case>,
the anchor of the alert's section in docs/RUNBOOKS.md. Call with
(dict "root" $ "alert" "TodoChatbotBackendDown" "settings" $rule.backendDown "summary" "..." "description" "...").
*/}}
{{- define "todo-chatbot.alertMetadata" -}}
for: {{ .settings.for }}
labels:
  severity: {{ .settings.severity }}
annotations:
  summary: {{ .summary | quote }}
  description: {{ .description | quote }}
  runbook_url: {{ printf "%s#%s" .root.Values.metrics.prometheusRule.runbookBaseUrl (lower .alert) | quote }}
{{- end }}
