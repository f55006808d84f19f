// The monitoring setting: kube-prometheus-stack, the chart's monitoring objects, PostgreSQL's
// exporter and the NetworkPolicy allowances, with Pulumi's mocks.
import * as assert from "assert";
import { MONITORING_CHART_VERSION } from "../components/monitoring";
import { isSecretValue, plain, PRODUCTION_SECRETS, ProgramRun, runProgram } from "./harness";

const T = {
    component: "todo-chatbot:observability:Monitoring",
    release: "kubernetes:helm.sh/v3:Release",
    chart: "kubernetes:helm.sh/v4:Chart",
    namespace: "kubernetes:core/v1:Namespace",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    customResource: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
};

const chartMetrics = (run: ProgramRun) => plain(run.one(T.chart, "todo-chatbot").inputs.values).metrics;
/** Ports each policy lets the monitoring namespace reach, by policy name. */
function scrapePorts(run: ProgramRun, monitoringNamespace: string): Record<string, number[]> {
    const ports: Record<string, number[]> = {};
    for (const policy of run.ofType(T.networkPolicy)) {
        const rules = (plain(policy.inputs.spec).ingress ?? []).filter((rule: any) =>
            rule.from?.some((peer: any) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === monitoringNamespace),
        );
        if (rules.length) ports[policy.inputs.metadata.name] = rules.flatMap((rule: any) => rule.ports.map((p: any) => p.port));
    }
    return ports;
}

describe("monitoring", function () {
    this.timeout(60_000);

    it("is off in the local stack: no stack, no exporter, no scrape allowances, the chart's objects off", async () => {
        const run = await runProgram("local");
        assert.strictEqual(run.ofType(T.component).length, 0);
        assert.strictEqual(run.ofType(T.release).length, 0);
        assert.strictEqual(run.ofType(T.customResource).length, 0);
        assert.deepStrictEqual(plain(run.one(T.statefulSet, "postgresql").inputs.spec).template.spec.containers.map((c: any) => c.name), ["postgresql"]);
        assert.deepStrictEqual(scrapePorts(run, "monitoring"), {});
        assert.deepStrictEqual(chartMetrics(run), { serviceMonitor: { enabled: false }, prometheusRule: { enabled: false }, dashboards: { enabled: false } });
        assert.strictEqual(run.outputs.readGrafanaPassword, null);
    });

    describe("on in the production stack (its default)", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram("production", PRODUCTION_SECRETS);
        });

        it("installs kube-prometheus-stack from its Helm repository at the pinned version, into its own namespace", () => {
            const release = run.one(T.release, "monitoring").inputs;
            assert.strictEqual(release.chart, "kube-prometheus-stack");
            assert.match(MONITORING_CHART_VERSION, /^\d+\.\d+\.\d+$/, "an exact version, not a range");
            assert.strictEqual(release.version, MONITORING_CHART_VERSION);
            assert.strictEqual(release.repositoryOpts.repo, "https://prometheus-community.github.io/helm-charts");
            assert.strictEqual(release.namespace, run.one(T.namespace, "monitoring-namespace").inputs.metadata.name);
            assert.strictEqual(run.one(T.namespace, "monitoring-namespace").inputs.metadata.name, "monitoring");
            const component = run.one(T.component, "monitoring");
            assert.strictEqual(run.one(T.release, "monitoring").parent, component.urn);
        });

        it("registers the chart's CRDs as Pulumi resources (the same chart, every component off), the Release skipping them", () => {
            const crds = run.one(T.chart, "monitoring-crds");
            const release = run.one(T.release, "monitoring");
            assert.deepStrictEqual(
                [crds.inputs.chart, crds.inputs.version, crds.inputs.repositoryOpts.repo],
                [release.inputs.chart, release.inputs.version, release.inputs.repositoryOpts.repo],
            );
            const values = plain(crds.inputs.values);
            assert.strictEqual(values.crds.enabled, true);
            for (const part of ["prometheusOperator", "prometheus", "alertmanager", "grafana", "kubeStateMetrics", "nodeExporter", "kubelet"]) {
                assert.strictEqual(values[part].enabled, false, `${part} is rendered by the Release, not with the CRDs`);
            }
            assert.strictEqual(release.inputs.skipCrds, true);
            assert.ok(release.dependencies.includes(crds.urn), "the Release waits for its CRDs");
            assert.strictEqual(crds.parent, run.one(T.component, "monitoring").urn);
        });

        it("picks up every namespace's ServiceMonitors, rules and dashboards", () => {
            const values = plain(run.one(T.release, "monitoring").inputs.values);
            const spec = values.prometheus.prometheusSpec;
            assert.strictEqual(spec.serviceMonitorSelectorNilUsesHelmValues, false);
            assert.strictEqual(spec.ruleSelectorNilUsesHelmValues, false);
            assert.deepStrictEqual(values.grafana.sidecar.dashboards, { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
        });

        it("sizes every part with requests and memory limits", () => {
            const values = plain(run.one(T.release, "monitoring").inputs.values);
            const parts = [values.prometheus.prometheusSpec, values.alertmanager.alertmanagerSpec, values.prometheusOperator, values.grafana, values["kube-state-metrics"], values["prometheus-node-exporter"]];
            for (const part of parts) {
                assert.ok(part.resources.requests.cpu && part.resources.requests.memory, JSON.stringify(part.resources));
                assert.ok(part.resources.limits.memory, JSON.stringify(part.resources));
            }
        });

        it("generates Grafana's admin password as a secret, in a Secret the chart reads, never in values or outputs", () => {
            const release = run.one(T.release, "monitoring").inputs;
            const admin = plain(release.values).grafana.admin;
            const secret = run.one(T.secret, "monitoring-grafana-admin").inputs;
            assert.strictEqual(admin.existingSecret, "grafana-admin");
            assert.strictEqual(secret.metadata.name, "grafana-admin");
            assert.ok(isSecretValue(secret.stringData), "the Secret's data is secret");
            const password = run.generatedSecrets.find((s) => s.startsWith("generated-monitoring-grafana-admin-password"));
            assert.ok(password, "the password is generated");
            assert.strictEqual(plain(secret.stringData)["admin-password"], password);
            assert.ok(!JSON.stringify(plain(release.values)).includes(password!), "the password is not a chart value");
            assert.ok(!JSON.stringify(run.outputs).includes(password!), "nor an output");
            assert.match(String(run.outputs.readGrafanaPassword), /get secret grafana-admin .*admin-password/, "the output says how to read it");
        });

        it("switches on the chart's ServiceMonitors, PrometheusRule and dashboards, after the stack's CRDs exist", () => {
            assert.deepStrictEqual(chartMetrics(run), { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, dashboards: { enabled: true } });
            const release = run.one(T.release, "monitoring");
            const appChart = run.one(T.chart, "todo-chatbot");
            assert.ok(appChart.dependencies.includes(release.urn), "the chart waits for the monitoring stack");
            assert.ok(appChart.dependencies.includes(run.one(T.chart, "monitoring-crds").urn), "and for the CRDs its objects need");
        });

        it("lets only the monitoring namespace reach the metrics ports", () => {
            assert.deepStrictEqual(scrapePorts(run, "monitoring"), { frontend: [9464], backend: [8000] });
        });
    });

    it("with the in-cluster database: postgres_exporter beside PostgreSQL, its Service, ServiceMonitor and allowance", async () => {
        const run = await runProgram("local", { monitoring: "true", monitoringNamespace: "observability" });
        const pod = plain(run.one(T.statefulSet, "postgresql").inputs.spec).template.spec;
        const exporter = pod.containers.find((c: any) => c.name === "metrics");
        assert.strictEqual(exporter.image, "quay.io/prometheuscommunity/postgres-exporter:v0.18.1");
        assert.deepStrictEqual(exporter.ports, [{ name: "metrics", containerPort: 9187 }]);
        // Over the pod's socket as the owner: no password to go stale after a rotation.
        assert.ok(!JSON.stringify(exporter.env).includes("PASS"), "the exporter gets no password");
        assert.match(exporter.env.find((e: any) => e.name === "DATA_SOURCE_NAME").value, /^host=\/var\/run\/postgresql user=\$\(POSTGRES_USER\) /);
        assert.deepStrictEqual(exporter.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        assert.ok(exporter.resources.limits.memory && exporter.resources.limits["ephemeral-storage"]);

        const service = run.one(T.service, "postgresql-metrics").inputs;
        assert.strictEqual(service.metadata.name, "postgresql-metrics", "the job label the chart's PostgreSQL alerts expect");
        const monitor = run.one(T.customResource, "postgresql-metrics").inputs;
        assert.deepStrictEqual(monitor.spec.selector.matchLabels, service.metadata.labels);
        assert.deepStrictEqual(monitor.spec.endpoints, [{ port: "metrics", interval: "30s" }]);
        const release = run.one(T.release, "monitoring");
        assert.ok(run.one(T.customResource, "postgresql-metrics").dependencies.includes(release.urn), "the ServiceMonitor waits for the stack's CRDs");

        assert.deepStrictEqual(scrapePorts(run, "observability"), { frontend: [9464], backend: [8000], database: [9187] });
        assert.strictEqual(run.one(T.namespace, "monitoring-namespace").inputs.metadata.name, "observability");
    });
});
