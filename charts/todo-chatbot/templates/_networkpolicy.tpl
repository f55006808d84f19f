{{/*
Egress rules shared by the NetworkPolicies (networkpolicy.yaml).
*/}}

{{/*
DNS to any address: the cluster DNS runs in another namespace under labels that differ between
distributions.
*/}}
{{- define "todo-chatbot.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{/*
The database port; to the peers in networkPolicy.database.to, or to any address when empty.
Call with .Values.networkPolicy.database.
*/}}
{{- define "todo-chatbot.databaseEgress" -}}
- ports:
    - port: {{ .port }}
      protocol: TCP
  {{- with .to }}
  to: {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
