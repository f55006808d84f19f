// Pod labels shared by the Helm chart (its _helpers.tpl) and the raw resources of this
// program; the NetworkPolicies select pods by them. See docs/ARCHITECTURE.md.
export const CHART_NAME = "todo-chatbot";
export const RELEASE_NAME = "todo-chatbot";

export type AppComponent = "frontend" | "backend";

/** Labels the chart puts on the pods of one app component. */
export function appPodLabels(component: AppComponent): Record<string, string> {
    return {
        "app.kubernetes.io/name": CHART_NAME,
        "app.kubernetes.io/instance": RELEASE_NAME,
        "app.kubernetes.io/component": component,
    };
}

/** Labels of the in-cluster PostgreSQL. */
export const databasePodLabels: Record<string, string> = {
    "app.kubernetes.io/name": "postgresql",
    "app.kubernetes.io/instance": RELEASE_NAME,
    "app.kubernetes.io/component": "database",
};

/** Labels every object of this program carries, for `kubectl get -l`. */
export const commonLabels: Record<string, string> = {
    "app.kubernetes.io/part-of": CHART_NAME,
    "app.kubernetes.io/managed-by": "pulumi",
};
