{{/*
Checks between values that values.schema.json cannot express. Rendered by validate.yaml, so
`helm install`, `helm template`, `helm lint` and Pulumi's helm.v4.Chart all stop on them.
*/}}
{{- define "todo-chatbot.validateValues" -}}
{{- range $component := list "frontend" "backend" }}
{{- $values := index $.Values $component }}
{{- if and $values.autoscaling.enabled (gt (int $values.autoscaling.minReplicas) (int $values.autoscaling.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not exceed %s.autoscaling.maxReplicas (%d)" $component (int $values.autoscaling.minReplicas) $component (int $values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if ge (int $values.preStopSleepSeconds) (int $values.terminationGracePeriodSeconds) }}
{{- fail (printf "%s.preStopSleepSeconds (%d) must be less than %s.terminationGracePeriodSeconds (%d), or the app never gets SIGTERM before it is killed" $component (int $values.preStopSleepSeconds) $component (int $values.terminationGracePeriodSeconds)) }}
{{- end }}
{{- end }}
{{- /* The secret files are mode 0440, owned by root and the pod's fsGroup (_pod.tpl): without one, the apps' non-root user could not read them. */ -}}
{{- if not (.Values.podSecurityContext | default dict).fsGroup }}
{{- fail "podSecurityContext.fsGroup is required: the apps read their secrets from files that only root and the pod's fsGroup may read (mode 0440); set it, e.g. to the images' group 65532 (the default)" }}
{{- end }}
{{- end }}
