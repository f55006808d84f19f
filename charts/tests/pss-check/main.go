// Command pss-check evaluates every pod in Kubernetes manifests against a Pod Security Standard
// level with the checks of the Pod Security admission controller itself
// (k8s.io/pod-security-admission), offline: what a namespace labelled
// pod-security.kubernetes.io/enforce=<level> would refuse, found before anything is applied.
//
// Usage: pss-check [-level restricted] [-version latest] FILE...   (- reads stdin)
//
// Pods are taken from Pods and from the pod templates of Deployments, ReplicaSets,
// StatefulSets, DaemonSets, Jobs and CronJobs; other objects are skipped. Exit status: 0 every
// pod is allowed, 1 some pod is forbidden, 2 bad input or no pod at all.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Where each workload kind keeps its pod template.
var podTemplatePaths = map[string][]string{
	"Deployment":  {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

type pod struct {
	name     string
	template corev1.PodTemplateSpec
}

func main() {
	level := flag.String("level", "restricted", "Pod Security Standard level: baseline or restricted")
	version := flag.String("version", "latest", "version of the standard: latest or a Kubernetes minor such as v1.31")
	flag.Parse()
	os.Exit(run(*level, *version, flag.Args()))
}

func run(levelName, versionName string, files []string) int {
	level, err := api.ParseLevel(levelName)
	if err != nil {
		return inputError(err)
	}
	version, err := api.ParseVersion(versionName)
	if err != nil {
		return inputError(err)
	}
	if len(files) == 0 {
		return inputError(errors.New("no manifest file given (- reads stdin)"))
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return inputError(err)
	}

	var pods []pod
	for _, file := range files {
		found, err := podsIn(file)
		if err != nil {
			return inputError(err)
		}
		pods = append(pods, found...)
	}
	if len(pods) == 0 {
		return inputError(errors.New("the manifests hold no pod or pod template"))
	}

	standard := api.LevelVersion{Level: level, Version: version}
	forbidden := 0
	for _, p := range pods {
		result := policy.AggregateCheckResults(evaluator.EvaluatePod(standard, &p.template.ObjectMeta, &p.template.Spec))
		if result.Allowed {
			fmt.Printf("allowed    %s\n", p.name)
		} else {
			forbidden++
			fmt.Printf("FORBIDDEN  %s: %s\n", p.name, result.ForbiddenDetail())
		}
	}
	fmt.Printf("Pod Security Standard %s: %d pods allowed, %d forbidden\n", standard.String(), len(pods)-forbidden, forbidden)
	if forbidden > 0 {
		return 1
	}
	return 0
}

func inputError(err error) int {
	fmt.Fprintf(os.Stderr, "error: %v\n", err)
	return 2
}

// podsIn returns the pods and pod templates of one multi-document YAML or JSON file.
func podsIn(file string) ([]pod, error) {
	input := os.Stdin
	if file != "-" {
		opened, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer opened.Close()
		input = opened
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(input, 4096)
	var pods []pod
	for {
		var object unstructured.Unstructured
		if err := decoder.Decode(&object.Object); errors.Is(err, io.EOF) {
			return pods, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if len(object.Object) == 0 { // an empty document between two ---
			continue
		}
		name := fmt.Sprintf("%s %s (%s)", object.GetKind(), object.GetName(), file)
		var content map[string]interface{}
		if object.GetKind() == "Pod" {
			content = map[string]interface{}{"metadata": object.Object["metadata"], "spec": object.Object["spec"]}
		} else if path, ok := podTemplatePaths[object.GetKind()]; ok {
			template, found, err := unstructured.NestedMap(object.Object, path...)
			if err != nil || !found {
				return nil, fmt.Errorf("%s: no pod template at %v", name, path)
			}
			content = template
		} else {
			continue
		}
		var template corev1.PodTemplateSpec
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(content, &template, true); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pods = append(pods, pod{name: name, template: template})
	}
}
