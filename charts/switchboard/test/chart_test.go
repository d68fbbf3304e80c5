// Package charttest renders the Switchboard Helm chart with the Helm SDK (no
// cluster: an install with DryRun and ClientOnly, as `helm template` does),
// decodes every document strictly into the Kubernetes API types and checks the
// chart's invariants. It is its own Go module so that Helm and the Kubernetes
// libraries stay out of the product's go.mod.
package charttest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	chartDir    = ".."
	releaseName = "sb"
	namespace   = "messaging"
	fullname    = "sb-switchboard"
	dataDir     = "/var/lib/switchboard"
	pluginsDir  = "/opt/switchboard/plugins"
)

// sentinels are the secret values the ci/*.yaml value files use. None may appear
// in any rendered document other than a Secret (nor in NOTES.txt).
var sentinels = []string{
	"SENTINELdbpass4711",
	"SENTINELredispass4711",
	"U0VOVElORUwta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTI=",
	"SENTINEL-key-0123456789abcdef012", // the decoded key, for good measure
	"SENTINELstripe4711",
	"SENTINELwebhook4711",
	"UkVUSVJFRC1TRU5USU5FTC1rZXktMDEyMzQ1Njc4OWE=", // a retired key (TestRetiredSecretKeys)
}

// secretSettings are the Switchboard settings that may only come from a Secret.
var secretSettings = []string{
	"SWITCHBOARD_DATABASE_URL",
	"SWITCHBOARD_REDIS_URL",
	"SWITCHBOARD_SECRET_KEY",
	"SWITCHBOARD_RETIRED_SECRET_KEYS",
	"SWITCHBOARD_AUTH__DEMO_PASSWORD",
	"SWITCHBOARD_DEMO_PASSWORD",
	"SWITCHBOARD_BILLING__STRIPE_SECRET_KEY",
	"SWITCHBOARD_BILLING__STRIPE_WEBHOOK_SECRET",
}

// ServiceMonitor is the part of monitoring.coreos.com/v1 the chart renders;
// decoding is strict, so a field outside it fails the test.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			MatchNames []string `json:"matchNames,omitempty"`
			Any        bool     `json:"any,omitempty"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval,omitempty"`
			ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// PrometheusRule is the part of monitoring.coreos.com/v1 the chart renders;
// decoding is strict, so a field outside it fails the test.
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// doc is one rendered Kubernetes object.
type doc struct {
	source string // template file
	hook   bool
	raw    []byte // JSON
	kind   string
	name   string
	obj    any
}

// rendering is everything one install renders.
type rendering struct {
	t     *testing.T
	docs  []doc
	notes string

	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	services        map[string]*corev1.Service
	serviceAccounts map[string]*corev1.ServiceAccount
	deployments     map[string]*appsv1.Deployment
	jobs            map[string]*batchv1.Job
	hpas            map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs            map[string]*policyv1.PodDisruptionBudget
	ingresses       map[string]*networkingv1.Ingress
	serviceMonitors map[string]*ServiceMonitor
	prometheusRules map[string]*PrometheusRule
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

func readValues(t *testing.T, file string) map[string]any {
	t.Helper()
	if file == "" {
		return map[string]any{}
	}
	vals, err := chartutil.ReadValuesFile(filepath.Join(chartDir, "ci", file))
	if err != nil {
		t.Fatalf("values %s: %v", file, err)
	}
	return vals
}

// install runs a client-only dry-run install, which validates the values
// against values.schema.json, renders templates, hooks and NOTES.txt.
func install(t *testing.T, vals map[string]any) (*release.Release, error) {
	t.Helper()
	in := action.NewInstall(&action.Configuration{})
	in.DryRun = true
	in.ClientOnly = true
	in.Replace = true
	in.ReleaseName = releaseName
	in.Namespace = namespace
	in.KubeVersion = &chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"}
	return in.Run(loadChart(t), vals)
}

func render(t *testing.T, vals map[string]any) *rendering {
	t.Helper()
	rel, err := install(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	r := &rendering{
		t: t, notes: rel.Info.Notes,
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		services: map[string]*corev1.Service{}, serviceAccounts: map[string]*corev1.ServiceAccount{},
		deployments: map[string]*appsv1.Deployment{}, jobs: map[string]*batchv1.Job{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		ingresses: map[string]*networkingv1.Ingress{}, serviceMonitors: map[string]*ServiceMonitor{},
		prometheusRules: map[string]*PrometheusRule{},
	}
	r.add(rel.Manifest, false)
	for _, h := range rel.Hooks {
		r.add("# Source: "+h.Path+"\n"+h.Manifest, true)
	}
	if len(r.docs) == 0 {
		t.Fatal("the chart rendered nothing")
	}
	return r
}

// add splits a multi-document manifest and decodes each document strictly into
// the Go type its apiVersion/kind names.
func (r *rendering) add(manifest string, hook bool) {
	t := r.t
	t.Helper()
	reader := k8syaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("split manifest: %v", err)
		}
		source := ""
		for _, line := range strings.Split(string(chunk), "\n") {
			if s, ok := strings.CutPrefix(line, "# Source: "); ok {
				source = s
			}
		}
		js, err := k8syaml.ToJSON(chunk)
		if err != nil {
			t.Fatalf("%s: not YAML: %v\n%s", source, err, chunk)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue // a comment-only document
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(js, &tm); err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "v1/ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1/Secret":
			obj = &corev1.Secret{}
		case "v1/Service":
			obj = &corev1.Service{}
		case "v1/ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "apps/v1/Deployment":
			obj = &appsv1.Deployment{}
		case "batch/v1/Job":
			obj = &batchv1.Job{}
		case "autoscaling/v2/HorizontalPodAutoscaler":
			obj = &autoscalingv2.HorizontalPodAutoscaler{}
		case "policy/v1/PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		case "networking.k8s.io/v1/Ingress":
			obj = &networkingv1.Ingress{}
		case "monitoring.coreos.com/v1/ServiceMonitor":
			obj = &ServiceMonitor{}
		case "monitoring.coreos.com/v1/PrometheusRule":
			obj = &PrometheusRule{}
		default:
			t.Fatalf("%s: unexpected apiVersion/kind %q/%q", source, tm.APIVersion, tm.Kind)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(obj); err != nil {
			t.Fatalf("%s: %s does not decode strictly: %v\n%s", source, tm.Kind, err, chunk)
		}
		d := doc{source: source, hook: hook, raw: js, kind: tm.Kind, obj: obj}
		meta := obj.(metav1.Object)
		d.name = meta.GetName()
		if d.name == "" {
			t.Fatalf("%s: %s without a name", source, tm.Kind)
		}
		if ns := meta.GetNamespace(); ns != "" && ns != namespace {
			t.Errorf("%s: %s %s in namespace %q", source, tm.Kind, d.name, ns)
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			r.configMaps[d.name] = o
		case *corev1.Secret:
			r.secrets[d.name] = o
		case *corev1.Service:
			r.services[d.name] = o
		case *corev1.ServiceAccount:
			r.serviceAccounts[d.name] = o
		case *appsv1.Deployment:
			r.deployments[d.name] = o
		case *batchv1.Job:
			r.jobs[d.name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas[d.name] = o
		case *policyv1.PodDisruptionBudget:
			r.pdbs[d.name] = o
		case *networkingv1.Ingress:
			r.ingresses[d.name] = o
		case *ServiceMonitor:
			r.serviceMonitors[d.name] = o
		case *PrometheusRule:
			r.prometheusRules[d.name] = o
		}
		for _, other := range r.docs {
			if other.kind == d.kind && other.name == d.name {
				t.Errorf("%s %s rendered twice (%s, %s)", d.kind, d.name, other.source, source)
			}
		}
		r.docs = append(r.docs, d)
	}
}

// podSpecs lists every pod template: the Deployments' and the Jobs'.
func (r *rendering) podSpecs() map[string]*corev1.PodTemplateSpec {
	out := map[string]*corev1.PodTemplateSpec{}
	for n, d := range r.deployments {
		out["Deployment/"+n] = &d.Spec.Template
	}
	for n, j := range r.jobs {
		out["Job/"+n] = &j.Spec.Template
	}
	return out
}

func names[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------- invariants

// checkAll asserts what must hold for every value set.
func (r *rendering) checkAll(secretName string, createdSecret bool) {
	r.t.Helper()
	r.checkKinds()
	r.checkSecurity()
	r.checkProbes()
	r.checkNoSecretLiterals(secretName, createdSecret)
	r.checkSelectors()
	r.checkMigrations()
}

func (r *rendering) checkKinds() {
	t := r.t
	t.Helper()
	for _, n := range []string{fullname + "-web", fullname + "-worker"} {
		if r.deployments[n] == nil {
			t.Errorf("Deployment %s missing; have %v", n, names(r.deployments))
		}
	}
	if r.services[fullname] == nil {
		t.Errorf("Service %s missing", fullname)
	}
	if r.configMaps[fullname] == nil {
		t.Errorf("ConfigMap %s missing", fullname)
	}
	if web := r.deployments[fullname+"-web"]; web != nil {
		if got := web.Spec.Template.Spec.Containers[0].Args; !slices.Equal(got, []string{"serve", "--no-worker"}) {
			t.Errorf("web args %v, want serve --no-worker", got)
		}
	}
	if w := r.deployments[fullname+"-worker"]; w != nil {
		c := w.Spec.Template.Spec.Containers[0]
		if !slices.Equal(c.Args, []string{"worker"}) {
			t.Errorf("worker args %v, want worker", c.Args)
		}
		if len(c.Ports) != 1 || c.Ports[0].Name != "probes" {
			t.Errorf("worker ports %v, want only probes: the worker's listener serves nothing else", c.Ports)
		}
	}
	cm := r.configMaps[fullname]
	if cm != nil {
		want := map[string]string{
			"SWITCHBOARD_ADDR":        "0.0.0.0:8080",
			"SWITCHBOARD_DATA_DIR":    dataDir,
			"SWITCHBOARD_PLUGINS_DIR": pluginsDir,
			"SWITCHBOARD_PRODUCTION":  "true",
		}
		for k, v := range want {
			if cm.Data[k] != v {
				t.Errorf("ConfigMap %s = %q, want %q", k, cm.Data[k], v)
			}
		}
	}
}

func (r *rendering) checkSecurity() {
	t := r.t
	t.Helper()
	for name, tpl := range r.podSpecs() {
		ps := tpl.Spec
		psc := ps.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", name)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod seccompProfile is not RuntimeDefault", name)
		}
		if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
			t.Errorf("%s: the service account token is mounted; Switchboard does not use the Kubernetes API", name)
		}
		if ps.HostNetwork || ps.HostPID || ps.HostIPC {
			t.Errorf("%s: uses host namespaces", name)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range ps.Volumes {
			volumes[v.Name] = v
		}
		all := append(append([]corev1.Container{}, ps.InitContainers...), ps.Containers...)
		if len(ps.Containers) == 0 {
			t.Errorf("%s: no containers", name)
		}
		for _, c := range all {
			where := name + " container " + c.Name
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s: no securityContext", where)
				continue
			}
			nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot && sc.RunAsNonRoot == nil)
			if !nonRoot {
				t.Errorf("%s: runAsNonRoot is not true", where)
			}
			if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				t.Errorf("%s: runs as uid 0", where)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem is not true", where)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation is not false", where)
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: privileged", where)
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) != 0 {
				t.Errorf("%s: capabilities must drop ALL and add none: %+v", where, sc.Capabilities)
			}
			if sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: seccompProfile %s", where, sc.SeccompProfile.Type)
			}
			if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: no memory request/limit", where)
			}
			// With a read-only root, the writable paths must be emptyDir mounts.
			for _, path := range []string{"/tmp", dataDir} {
				found := false
				for _, m := range c.VolumeMounts {
					if m.MountPath == path {
						found = true
						if v, ok := volumes[m.Name]; !ok || v.EmptyDir == nil {
							t.Errorf("%s: %s is not an emptyDir volume", where, path)
						}
					}
				}
				if !found {
					t.Errorf("%s: nothing writable mounted at %s", where, path)
				}
			}
		}
	}
}

// checkProbes: every Deployment container has startup and liveness probes on
// GET /healthz and a readiness probe on GET /readyz, on a port it declares; the
// web one on http/8080, the worker's on the port its listener is told to open.
func (r *rendering) checkProbes() {
	t := r.t
	t.Helper()
	probePort := map[string]string{fullname + "-web": "http", fullname + "-worker": "probes"}
	for name, d := range r.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			where := "Deployment/" + name + " container " + c.Name
			probe := func(kind string, p *corev1.Probe, path string) {
				if p == nil || p.HTTPGet == nil {
					t.Errorf("%s: no HTTP %s probe", where, kind)
					return
				}
				if p.HTTPGet.Path != path {
					t.Errorf("%s: %s probe GET %s, want %s", where, kind, p.HTTPGet.Path, path)
				}
				if _, ok := containerPort(c, p.HTTPGet.Port); !ok {
					t.Errorf("%s: %s probe on port %s, which the container does not declare (ports %v)", where, kind, p.HTTPGet.Port.String(), c.Ports)
				}
				if want := probePort[name]; p.HTTPGet.Port.String() != want {
					t.Errorf("%s: %s probe on port %s, want %s", where, kind, p.HTTPGet.Port.String(), want)
				}
			}
			probe("liveness", c.LivenessProbe, "/healthz")
			probe("readiness", c.ReadinessProbe, "/readyz")
			probe("startup", c.StartupProbe, "/healthz")
		}
	}
	if web := r.deployments[fullname+"-web"]; web != nil {
		c := web.Spec.Template.Spec.Containers[0]
		if port, ok := containerPort(c, intstr.FromString("http")); !ok || port != 8080 {
			t.Errorf("web: no port http/8080 (SWITCHBOARD_ADDR); ports %v", c.Ports)
		}
	}
	if w := r.deployments[fullname+"-worker"]; w != nil {
		c := w.Spec.Template.Spec.Containers[0]
		port, ok := containerPort(c, intstr.FromString("probes"))
		if !ok {
			t.Errorf("worker: no port named probes; ports %v", c.Ports)
		}
		// The probes only reach the process if the listener opens where they look.
		addr, _ := r.env(fullname+"-worker", "SWITCHBOARD_WORKER__ADDR")
		if want := fmt.Sprintf(":%d", port); addr.Value != want || addr.ValueFrom != nil {
			t.Errorf("worker: SWITCHBOARD_WORKER__ADDR = %+v, want %q (the probes port)", addr, want)
		}
	}
}

// containerPort resolves a probe's or Service's target port, by name or number,
// against what the container declares.
func containerPort(c corev1.Container, port intstr.IntOrString) (int32, bool) {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// checkNoSecretLiterals: secret settings come only from secretKeyRef (or are a
// $(VAR) template over secretKeyRef variables); the sentinel secret values
// appear in no ConfigMap, env literal, or any other non-Secret document, nor in
// NOTES.txt; every secretKeyRef names a Secret that exists (or the existing one)
// and, unless optional, a key it holds.
func (r *rendering) checkNoSecretLiterals(secretName string, createdSecret bool) {
	t := r.t
	t.Helper()
	for _, d := range r.docs {
		if d.kind == "Secret" {
			continue
		}
		for _, s := range sentinels {
			if bytes.Contains(d.raw, []byte(s)) {
				t.Errorf("%s: %s %s contains the secret value %q", d.source, d.kind, d.name, s)
			}
		}
	}
	for _, s := range sentinels {
		if strings.Contains(r.notes, s) {
			t.Errorf("NOTES.txt contains the secret value %q", s)
		}
	}
	for _, cm := range r.configMaps {
		for k := range cm.Data {
			if slices.Contains(secretSettings, k) {
				t.Errorf("ConfigMap %s holds the secret setting %s", cm.Name, k)
			}
		}
	}
	for name, tpl := range r.podSpecs() {
		for _, c := range append(append([]corev1.Container{}, tpl.Spec.InitContainers...), tpl.Spec.Containers...) {
			where := name + " container " + c.Name
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && r.configMaps[ef.ConfigMapRef.Name] == nil {
					t.Errorf("%s: envFrom ConfigMap %s is not rendered", where, ef.ConfigMapRef.Name)
				}
				if ef.SecretRef != nil {
					r.checkSecretRef(where, ef.SecretRef.Name, "", true, secretName, createdSecret)
				}
			}
			declared := map[string]bool{}
			for _, e := range c.Env {
				if e.ValueFrom != nil {
					if e.Value != "" {
						t.Errorf("%s: env %s has both value and valueFrom", where, e.Name)
					}
					if ref := e.ValueFrom.SecretKeyRef; ref != nil {
						optional := ref.Optional != nil && *ref.Optional
						r.checkSecretRef(where+" env "+e.Name, ref.Name, ref.Key, optional, secretName, createdSecret)
					}
					declared[e.Name] = true
					continue
				}
				for _, s := range sentinels {
					if strings.Contains(e.Value, s) {
						t.Errorf("%s: env %s inlines a secret value", where, e.Name)
					}
				}
				if slices.Contains(secretSettings, e.Name) || strings.Contains(strings.ToUpper(e.Name), "PASSWORD") {
					// Only a template over earlier secretKeyRef variables is allowed.
					refs := varRefs(e.Value)
					if len(refs) == 0 {
						t.Errorf("%s: secret setting %s is a literal %q", where, e.Name, e.Value)
					}
					for _, v := range refs {
						if !declared[v] {
							t.Errorf("%s: env %s references $(%s), which is not a secret variable declared before it", where, e.Name, v)
						}
					}
				}
				declared[e.Name] = true
			}
			for _, must := range []string{"SWITCHBOARD_DATABASE_URL"} {
				if !declared[must] {
					t.Errorf("%s: %s is not set", where, must)
				}
			}
			if !strings.HasPrefix(name, "Job/") {
				for _, must := range []string{"SWITCHBOARD_REDIS_URL", "SWITCHBOARD_SECRET_KEY", "SWITCHBOARD_BILLING__STRIPE_SECRET_KEY", "SWITCHBOARD_BILLING__STRIPE_WEBHOOK_SECRET"} {
					if !declared[must] {
						t.Errorf("%s: %s is not set", where, must)
					}
				}
			}
		}
	}
}

// varRefs returns the $(VAR) references in an env value.
func varRefs(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "$(")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], ")")
		if j < 0 {
			return out
		}
		out = append(out, s[i+2:i+j])
		s = s[i+j+1:]
	}
}

func (r *rendering) checkSecretRef(where, name, key string, optional bool, secretName string, createdSecret bool) {
	t := r.t
	t.Helper()
	sec, ok := r.secrets[name]
	if !ok {
		if name != secretName || createdSecret {
			t.Errorf("%s: references Secret %s, which is neither rendered nor the existing Secret %s", where, name, secretName)
		}
		return
	}
	if key != "" && !optional {
		if _, ok := sec.Data[key]; !ok {
			t.Errorf("%s: Secret %s has no key %q (keys: %v)", where, name, key, names(sec.Data))
		}
	}
}

func (r *rendering) checkSelectors() {
	t := r.t
	t.Helper()
	podsOf := map[string]labels.Set{} // Deployment name -> pod labels
	for n, d := range r.deployments {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() {
			t.Errorf("Deployment %s: bad or empty selector %v (%v)", n, d.Spec.Selector, err)
			continue
		}
		pl := labels.Set(d.Spec.Template.Labels)
		if !sel.Matches(pl) {
			t.Errorf("Deployment %s: selector %s does not match its pod labels %v", n, sel, pl)
		}
		podsOf[n] = pl
		if d.Spec.Template.Spec.ServiceAccountName != "" && d.Spec.Template.Spec.ServiceAccountName != "default" {
			if _, ok := r.serviceAccounts[d.Spec.Template.Spec.ServiceAccountName]; !ok && r.serviceAccountsCreated() {
				t.Errorf("Deployment %s: ServiceAccount %s not rendered", n, d.Spec.Template.Spec.ServiceAccountName)
			}
		}
	}
	// Selectors must pick out one Deployment's pods and never another's.
	matching := func(sel labels.Selector) []string {
		var out []string
		for n, pl := range podsOf {
			if sel.Matches(pl) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	// Each Service fronts one Deployment, on ports its container declares.
	serviceFor := map[string]string{fullname: fullname + "-web", fullname + "-worker-metrics": fullname + "-worker"}
	for n, s := range r.services {
		sel := labels.SelectorFromSet(s.Spec.Selector)
		want, known := serviceFor[n]
		if !known {
			t.Errorf("unexpected Service %s", n)
			continue
		}
		if got := matching(sel); !slices.Equal(got, []string{want}) {
			t.Errorf("Service %s selects %v, want only Deployment %s", n, got, want)
			continue
		}
		c := r.deployments[want].Spec.Template.Spec.Containers[0]
		for _, p := range s.Spec.Ports {
			if _, ok := containerPort(c, p.TargetPort); !ok {
				t.Errorf("Service %s port %s targets %s, which %s does not declare (ports %v)", n, p.Name, p.TargetPort.String(), want, c.Ports)
			}
		}
	}
	for n, p := range r.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Errorf("PDB %s: %v", n, err)
			continue
		}
		if got := matching(sel); len(got) != 1 || got[0] != n {
			t.Errorf("PDB %s selects the pods of %v, want exactly Deployment %s", n, got, n)
		}
	}
	for n, h := range r.hpas {
		ref := h.Spec.ScaleTargetRef
		d, ok := r.deployments[ref.Name]
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || !ok {
			t.Errorf("HPA %s targets %s %s/%s, which is not a rendered Deployment", n, ref.APIVersion, ref.Kind, ref.Name)
			continue
		}
		if d.Spec.Replicas != nil {
			t.Errorf("Deployment %s sets replicas although HPA %s scales it (every upgrade would reset the count)", ref.Name, n)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HPA %s: bad min/max replicas", n)
		}
		if len(h.Spec.Metrics) == 0 {
			t.Errorf("HPA %s has no metrics", n)
		}
		for _, m := range h.Spec.Metrics {
			if m.Resource != nil && m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
				// Utilization needs requests on the target's containers.
				for _, c := range d.Spec.Template.Spec.Containers {
					if _, ok := c.Resources.Requests[m.Resource.Name]; !ok {
						t.Errorf("HPA %s scales on %s utilization but %s container %s has no %s request", n, m.Resource.Name, ref.Name, c.Name, m.Resource.Name)
					}
				}
			}
		}
	}
	for n, d := range r.deployments {
		scaled := false
		for _, h := range r.hpas {
			if h.Spec.ScaleTargetRef.Name == n {
				scaled = true
			}
		}
		if !scaled && d.Spec.Replicas == nil {
			t.Errorf("Deployment %s has neither replicas nor an HPA", n)
		}
	}
	for n, ing := range r.ingresses {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				svc, ok := r.services[p.Backend.Service.Name]
				if !ok {
					t.Errorf("Ingress %s routes to Service %s, which is not rendered", n, p.Backend.Service.Name)
					continue
				}
				if svc.Spec.Ports[0].Port != p.Backend.Service.Port.Number {
					t.Errorf("Ingress %s routes to port %d; the Service listens on %d", n, p.Backend.Service.Port.Number, svc.Spec.Ports[0].Port)
				}
			}
		}
	}
	for n, sm := range r.serviceMonitors {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil {
			t.Errorf("ServiceMonitor %s: %v", n, err)
			continue
		}
		found := 0
		for _, s := range r.services {
			if sel.Matches(labels.Set(s.Labels)) {
				found++
				for _, ep := range sm.Spec.Endpoints {
					ok := false
					for _, p := range s.Spec.Ports {
						ok = ok || p.Name == ep.Port
					}
					if !ok {
						t.Errorf("ServiceMonitor %s scrapes port %q, which Service %s does not name", n, ep.Port, s.Name)
					}
					if ep.Path != "/metrics" {
						t.Errorf("ServiceMonitor %s scrapes %s, want /metrics", n, ep.Path)
					}
				}
			}
		}
		if found != 1 {
			t.Errorf("ServiceMonitor %s selects %d Services, want 1", n, found)
		}
		if !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{namespace}) {
			t.Errorf("ServiceMonitor %s watches namespaces %v", n, sm.Spec.NamespaceSelector.MatchNames)
		}
	}
}

func (r *rendering) serviceAccountsCreated() bool { return len(r.serviceAccounts) > 0 }

// checkMigrations: when the hook Job is rendered it runs `migrate` as a
// pre-install/pre-upgrade hook, deleted before re-creation and on success, and
// whatever Secret it reads is either pre-existing or a hook that runs before it.
func (r *rendering) checkMigrations() {
	t := r.t
	t.Helper()
	for _, d := range r.docs {
		if d.kind != "Job" {
			if !d.hook {
				continue
			}
		}
		meta := d.obj.(metav1.Object)
		ann := meta.GetAnnotations()
		if d.kind == "Job" && !d.hook {
			t.Errorf("Job %s is not a Helm hook", d.name)
		}
		if ann["helm.sh/hook"] != "pre-install,pre-upgrade" {
			t.Errorf("%s %s: helm.sh/hook %q, want pre-install,pre-upgrade", d.kind, d.name, ann["helm.sh/hook"])
		}
		if ann["helm.sh/hook-delete-policy"] != "before-hook-creation,hook-succeeded" {
			t.Errorf("%s %s: hook-delete-policy %q", d.kind, d.name, ann["helm.sh/hook-delete-policy"])
		}
		if ann["helm.sh/hook-weight"] == "" {
			t.Errorf("%s %s: no hook-weight", d.kind, d.name)
		}
	}
	for n, j := range r.jobs {
		ps := j.Spec.Template.Spec
		if ps.RestartPolicy != corev1.RestartPolicyNever && ps.RestartPolicy != corev1.RestartPolicyOnFailure {
			t.Errorf("Job %s restartPolicy %q", n, ps.RestartPolicy)
		}
		if len(ps.Containers) != 1 || !slices.Equal(ps.Containers[0].Args, []string{"migrate"}) {
			t.Errorf("Job %s does not run `migrate`", n)
		}
		if j.Spec.ActiveDeadlineSeconds == nil || j.Spec.BackoffLimit == nil {
			t.Errorf("Job %s has no deadline or backoff limit", n)
		}
		// The release's ServiceAccount does not exist yet at pre-install.
		if sa := ps.ServiceAccountName; sa != "" {
			if _, created := r.serviceAccounts[sa]; created {
				t.Errorf("Job %s uses ServiceAccount %s, which the release creates only after its pre-install hooks", n, sa)
			}
		}
		jw := weight(j.Annotations)
		for _, e := range ps.Containers[0].Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			if s, ok := r.secrets[e.ValueFrom.SecretKeyRef.Name]; ok {
				if s.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" || weight(s.Annotations) >= jw {
					t.Errorf("Job %s reads Secret %s, which does not exist before it (not an earlier pre-install hook)", n, s.Name)
				}
			}
		}
		for _, ef := range ps.Containers[0].EnvFrom {
			if ef.ConfigMapRef != nil {
				t.Errorf("Job %s reads ConfigMap %s, which does not exist at pre-install", n, ef.ConfigMapRef.Name)
			}
		}
	}
}

func weight(ann map[string]string) int {
	var w int
	fmt.Sscan(ann["helm.sh/hook-weight"], &w)
	return w
}

func (r *rendering) env(deployment, name string) (corev1.EnvVar, bool) {
	d := r.deployments[deployment]
	if d == nil {
		return corev1.EnvVar{}, false
	}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

// ---------------------------------------------------------------- tests

func TestDefaults(t *testing.T) {
	r := render(t, readValues(t, "default-values.yaml"))
	r.checkAll(fullname, true)

	sec := r.secrets[fullname]
	if sec == nil {
		t.Fatalf("Secret %s missing", fullname)
	}
	// Positive control: the values did reach the Secret.
	want := map[string]string{
		"database-url":          "postgres://switchboard:SENTINELdbpass4711@db.example.internal:5432/switchboard?sslmode=require",
		"redis-url":             "redis://:SENTINELredispass4711@redis.example.internal:6379/0",
		"secret-key":            "U0VOVElORUwta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTI=",
		"stripe-secret-key":     "sk_test_SENTINELstripe4711",
		"stripe-webhook-secret": "whsec_SENTINELwebhook4711",
	}
	for k, v := range want {
		if got := string(sec.Data[k]); got != v {
			t.Errorf("Secret key %s = %q, want %q", k, got, v)
		}
	}
	if k, err := base64.StdEncoding.DecodeString(string(sec.Data["secret-key"])); err != nil || len(k) != 32 {
		t.Errorf("secret-key is not 32 bytes of base64")
	}
	for _, n := range []string{fullname + "-web", fullname + "-worker"} {
		if r.hpas[n] == nil || r.pdbs[n] == nil {
			t.Errorf("defaults: HPA and PDB expected for %s", n)
		}
	}
	if len(r.ingresses)+len(r.serviceMonitors)+len(r.prometheusRules) != 0 {
		t.Errorf("defaults: no Ingress, ServiceMonitor or PrometheusRule expected")
	}
	if got := names(r.services); !slices.Equal(got, []string{fullname}) {
		t.Errorf("defaults: Services %v, want only %s (the worker-metrics one comes with serviceMonitor.enabled)", got, fullname)
	}
	if r.jobs[fullname+"-migrate"] == nil || r.secrets[fullname+"-migrate"] == nil {
		t.Errorf("defaults: the migrations Job and its hook Secret are expected; have jobs %v secrets %v", names(r.jobs), names(r.secrets))
	}
	if got := string(r.secrets[fullname+"-migrate"].Data["database-url"]); got != want["database-url"] {
		t.Errorf("migrate hook Secret database-url = %q", got)
	}
	if got := r.configMaps[fullname].Data["SWITCHBOARD_HTTP__PROXY_HOPS"]; got != "0" {
		t.Errorf("proxy hops without an ingress: %q, want 0", got)
	}
	if cm := r.configMaps[fullname]; cm.Data["SWITCHBOARD_MIGRATE_ON_START"] != "false" {
		t.Errorf("with the migrations hook, pods must not migrate on start")
	}
	for _, n := range []string{fullname + "-web", fullname + "-worker"} {
		d := r.deployments[n]
		if d.Spec.Template.Annotations["checksum/config"] == "" || d.Spec.Template.Annotations["checksum/secret"] == "" {
			t.Errorf("%s: no checksum annotations to roll pods on config changes", n)
		}
		if d.Spec.Template.Spec.ServiceAccountName != fullname {
			t.Errorf("%s: serviceAccountName %q", n, d.Spec.Template.Spec.ServiceAccountName)
		}
	}
	if e, _ := r.env(fullname+"-web", "SWITCHBOARD_DATABASE_URL"); e.ValueFrom == nil || e.ValueFrom.SecretKeyRef.Key != "database-url" {
		t.Errorf("web SWITCHBOARD_DATABASE_URL: %+v", e)
	}
	if !strings.Contains(r.notes, "kubectl -n "+namespace+" port-forward svc/"+fullname) {
		t.Errorf("NOTES.txt: no port-forward hint:\n%s", r.notes)
	}
}

func TestExistingSecretAndHosts(t *testing.T) {
	r := render(t, readValues(t, "existing-secret-values.yaml"))
	r.checkAll("switchboard-prod", false)
	if len(r.secrets) != 0 {
		t.Errorf("with existingSecret the chart must create no Secret; got %v", names(r.secrets))
	}
	if len(r.serviceAccounts) != 0 {
		t.Errorf("serviceAccount.create=false renders a ServiceAccount")
	}
	for n, tpl := range r.podSpecs() {
		if tpl.Spec.ServiceAccountName != "switchboard-runtime" {
			t.Errorf("%s: serviceAccountName %q, want switchboard-runtime", n, tpl.Spec.ServiceAccountName)
		}
		if tpl.Annotations["checksum/secret"] != "" {
			t.Errorf("%s: checksum of a Secret the chart does not render", n)
		}
	}
	db, _ := r.env(fullname+"-web", "SWITCHBOARD_DATABASE_URL")
	if db.Value != "postgres://sb_app:$(SB_POSTGRES_PASSWORD)@pg.example.internal:5433/sb?sslmode=verify-full" {
		t.Errorf("assembled database URL %q", db.Value)
	}
	pw, _ := r.env(fullname+"-web", "SB_POSTGRES_PASSWORD")
	if pw.ValueFrom == nil || pw.ValueFrom.SecretKeyRef.Name != "switchboard-prod" || pw.ValueFrom.SecretKeyRef.Key != "pg-password" {
		t.Errorf("postgres password ref %+v", pw.ValueFrom)
	}
	rd, _ := r.env(fullname+"-worker", "SWITCHBOARD_REDIS_URL")
	if rd.Value != "rediss://:$(SB_REDIS_PASSWORD)@redis.example.internal:6379/2" {
		t.Errorf("assembled redis URL %q", rd.Value)
	}
	job := r.jobs[fullname+"-migrate"]
	if job == nil {
		t.Fatal("no migrations Job")
	}
	for _, e := range job.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name != "switchboard-prod" {
			t.Errorf("migrations Job reads Secret %s, want the existing one", e.ValueFrom.SecretKeyRef.Name)
		}
	}
}

func TestIngressTLS(t *testing.T) {
	r := render(t, readValues(t, "ingress-tls-values.yaml"))
	r.checkAll(fullname, true)
	ing := r.ingresses[fullname]
	if ing == nil {
		t.Fatalf("no Ingress; have %v", names(r.ingresses))
	}
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
		t.Errorf("ingressClassName %v", ing.Spec.IngressClassName)
	}
	if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "chat-example-com-tls" || !slices.Equal(ing.Spec.TLS[0].Hosts, []string{"chat.example.com"}) {
		t.Errorf("ingress TLS %+v", ing.Spec.TLS)
	}
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "chat.example.com" {
		t.Errorf("ingress rules %+v", ing.Spec.Rules)
	}
	if ing.Annotations["cert-manager.io/cluster-issuer"] != "letsencrypt" {
		t.Errorf("ingress annotations %v", ing.Annotations)
	}
	cm := r.configMaps[fullname]
	if cm.Data["SWITCHBOARD_PUBLIC_URL"] != "https://chat.example.com" {
		t.Errorf("public URL from the TLS ingress host: %q", cm.Data["SWITCHBOARD_PUBLIC_URL"])
	}
	if cm.Data["SWITCHBOARD_HTTP__PROXY_HOPS"] != "2" || cm.Data["SWITCHBOARD_AUTH__SESSION_TTL"] != "72h" {
		t.Errorf("config values not in the ConfigMap: %v", cm.Data)
	}
	vals := readValues(t, "ingress-tls-values.yaml")
	delete(vals["config"].(map[string]any), "proxyHops")
	if got := render(t, vals).configMaps[fullname].Data["SWITCHBOARD_HTTP__PROXY_HOPS"]; got != "1" {
		t.Errorf("proxy hops with the ingress on and config.proxyHops unset: %q, want 1", got)
	}
	if !strings.Contains(r.notes, "https://chat.example.com/") {
		t.Errorf("NOTES.txt does not show the URL:\n%s", r.notes)
	}
}

func TestRedisSentinel(t *testing.T) {
	r := render(t, readValues(t, "sentinel-values.yaml"))
	r.checkAll(fullname, true)
	for _, n := range []string{fullname + "-web", fullname + "-worker"} {
		u, _ := r.env(n, "SWITCHBOARD_REDIS_URL")
		want := "redis-sentinel://:$(SB_REDIS_PASSWORD)@sentinel-0.sentinel:26379,sentinel-1.sentinel:26379,sentinel-2.sentinel:26379/0?master=sb-master"
		if u.Value != want {
			t.Errorf("%s: SWITCHBOARD_REDIS_URL %q, want %q", n, u.Value, want)
		}
		pw, _ := r.env(n, "SB_REDIS_PASSWORD")
		if pw.ValueFrom == nil || pw.ValueFrom.SecretKeyRef.Key != "redis-password" {
			t.Errorf("%s: redis password ref %+v", n, pw)
		}
	}
	if got := string(r.secrets[fullname].Data["redis-password"]); got != "SENTINELredispass4711" {
		t.Errorf("redis-password in the Secret: %q", got)
	}
	// Sentinel without addresses is refused at render time.
	vals := readValues(t, "sentinel-values.yaml")
	vals["redis"].(map[string]any)["sentinel"].(map[string]any)["addresses"] = []any{}
	if _, err := install(t, vals); err == nil || !strings.Contains(err.Error(), "redis.sentinel.addresses") {
		t.Errorf("sentinel without addresses: %v", err)
	}
}

// TestRetiredSecretKeys: during a key rotation the old keys reach the pods through
// the Secret only, and the schema refuses anything that is not a list of keys.
func TestRetiredSecretKeys(t *testing.T) {
	const retired = "UkVUSVJFRC1TRU5USU5FTC1rZXktMDEyMzQ1Njc4OWE="
	vals := readValues(t, "default-values.yaml")
	vals["secrets"].(map[string]any)["retiredSecretKeys"] = retired
	r := render(t, vals)
	r.checkAll(fullname, true)
	if got := string(r.secrets[fullname].Data["retired-secret-keys"]); got != retired {
		t.Errorf("retired-secret-keys in the Secret: %q", got)
	}
	for _, n := range []string{fullname + "-web", fullname + "-worker"} {
		e, ok := r.env(n, "SWITCHBOARD_RETIRED_SECRET_KEYS")
		if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Key != "retired-secret-keys" {
			t.Errorf("%s: SWITCHBOARD_RETIRED_SECRET_KEYS = %+v, want a reference to retired-secret-keys", n, e)
		}
	}
	// Without the value the Secret has no such key and the reference is optional.
	r = render(t, readValues(t, "default-values.yaml"))
	if _, ok := r.secrets[fullname].Data["retired-secret-keys"]; ok {
		t.Error("retired-secret-keys in the Secret without secrets.retiredSecretKeys")
	}
	vals["secrets"].(map[string]any)["retiredSecretKeys"] = "not-a-key"
	if _, err := install(t, vals); err == nil || !strings.Contains(err.Error(), "retiredSecretKeys") {
		t.Errorf("a malformed retired key: %v, want a schema error naming retiredSecretKeys", err)
	}
}

func TestNoAutoscaling(t *testing.T) {
	r := render(t, readValues(t, "no-autoscaling-values.yaml"))
	r.checkAll(fullname, true)
	if len(r.hpas) != 0 {
		t.Errorf("autoscaling off renders HPAs %v", names(r.hpas))
	}
	for n, want := range map[string]int32{fullname + "-web": 3, fullname + "-worker": 5} {
		d := r.deployments[n]
		if d.Spec.Replicas == nil || *d.Spec.Replicas != want {
			t.Errorf("%s replicas %v, want %d", n, d.Spec.Replicas, want)
		}
	}
	if r.pdbs[fullname+"-worker"] != nil || r.pdbs[fullname+"-web"] == nil {
		t.Errorf("PDBs %v, want only the web one", names(r.pdbs))
	}
	if len(r.jobs) != 0 || len(r.secrets) != 1 {
		t.Errorf("migrations.enabled=false: jobs %v, secrets %v", names(r.jobs), names(r.secrets))
	}
	if r.configMaps[fullname].Data["SWITCHBOARD_MIGRATE_ON_START"] != "true" {
		t.Errorf("without the hook Job the pods must migrate on start")
	}
	for _, n := range []string{fullname + "-web", fullname + "-worker"} {
		c := r.deployments[n].Spec.Template.Spec.Containers[0]
		ok := false
		for _, m := range c.VolumeMounts {
			ok = ok || (m.Name == "plugin-acme" && m.MountPath == pluginsDir+"/acme" && m.ReadOnly)
		}
		if !ok {
			t.Errorf("%s: the extra plugin volume is not mounted", n)
		}
	}
}

func TestServiceMonitor(t *testing.T) {
	r := render(t, readValues(t, "servicemonitor-values.yaml"))
	r.checkAll(fullname, true)
	if got := names(r.serviceMonitors); !slices.Equal(got, []string{fullname, fullname + "-worker"}) {
		t.Fatalf("ServiceMonitors %v, want one for web and one for the worker", got)
	}
	for _, sm := range r.serviceMonitors {
		if sm.Labels["release"] != "kube-prometheus-stack" || sm.Spec.Endpoints[0].Interval != "15s" {
			t.Errorf("ServiceMonitor %s: labels %v, endpoints %+v", sm.Name, sm.Labels, sm.Spec.Endpoints)
		}
	}
	// checkSelectors proves each selects one Service on a port it names; here,
	// which one, and that the worker's reaches the listener the probes use.
	selected := func(sm *ServiceMonitor) []string {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil {
			t.Fatalf("ServiceMonitor %s: %v", sm.Name, err)
		}
		var out []string
		for n, s := range r.services {
			if sel.Matches(labels.Set(s.Labels)) {
				out = append(out, n)
			}
		}
		return out
	}
	if got := selected(r.serviceMonitors[fullname]); !slices.Equal(got, []string{fullname}) {
		t.Errorf("web ServiceMonitor selects Services %v, want %s", got, fullname)
	}
	if got := selected(r.serviceMonitors[fullname+"-worker"]); !slices.Equal(got, []string{fullname + "-worker-metrics"}) {
		t.Errorf("worker ServiceMonitor selects Services %v, want %s-worker-metrics", got, fullname)
	}
	r.checkWorkerMetricsService(8081)
	mem := false
	for _, m := range r.hpas[fullname+"-web"].Spec.Metrics {
		mem = mem || (m.Resource != nil && m.Resource.Name == corev1.ResourceMemory && *m.Resource.Target.AverageUtilization == 80)
	}
	if !mem {
		t.Errorf("web HPA has no memory metric")
	}
}

// TestPrometheusRule: the alerts select the worker ServiceMonitor's job in the
// release's namespace, name only metrics the product registers, carry their
// thresholds from the values, and keep Prometheus's own annotation templates.
func TestPrometheusRule(t *testing.T) {
	r := render(t, readValues(t, "servicemonitor-values.yaml"))
	r.checkAll(fullname, true)
	pr := r.prometheusRules[fullname]
	if pr == nil || len(r.prometheusRules) != 1 {
		t.Fatalf("PrometheusRules %v, want %s", names(r.prometheusRules), fullname)
	}
	if pr.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("PrometheusRule labels %v, want the release label from the values", pr.Labels)
	}
	// The ServiceMonitor's job is the name of the Service it scrapes.
	selector := fmt.Sprintf(`namespace=%q, job=%q`, namespace, fullname+"-worker-metrics")
	if r.services[fullname+"-worker-metrics"] == nil {
		t.Fatalf("no worker-metrics Service for the rules' job")
	}
	registered := productMetrics(t)
	metricName := regexp.MustCompile(`switchboard_[a-z_]+`)
	alerts := map[string]string{}
	for _, g := range pr.Spec.Groups {
		for _, rule := range g.Rules {
			alerts[rule.Alert] = rule.Expr
			if rule.For == "" || rule.Labels["severity"] == "" || rule.Annotations["summary"] == "" || rule.Annotations["description"] == "" {
				t.Errorf("%s: for %q, labels %v, annotations %v; want a for, a severity, a summary and a description", rule.Alert, rule.For, rule.Labels, rule.Annotations)
			}
			names := metricName.FindAllString(rule.Expr, -1)
			if len(names) == 0 {
				t.Errorf("%s reads no Switchboard metric: %s", rule.Alert, rule.Expr)
			}
			for _, n := range names {
				if !registered[n] {
					t.Errorf("%s reads %s, which the product does not register", rule.Alert, n)
				}
				if !strings.Contains(rule.Expr, n+"{"+selector) {
					t.Errorf("%s reads %s without selecting {%s}: %s", rule.Alert, n, selector, rule.Expr)
				}
			}
			if strings.Contains(rule.Annotations["summary"], "$labels") && !strings.Contains(rule.Annotations["summary"], "{{ $labels.") {
				t.Errorf("%s: the summary's Prometheus template was mangled: %q", rule.Alert, rule.Annotations["summary"])
			}
		}
	}
	if got := names(alerts); !slices.Equal(got, []string{"SwitchboardChannelPluginDown", "SwitchboardMessagesWaiting", "SwitchboardTasksFailing"}) {
		t.Errorf("alerts %v", got)
	}
	if e := alerts["SwitchboardMessagesWaiting"]; !strings.HasSuffix(e, "> 60") || !strings.Contains(e, `queue=~"sends|inbound"`) {
		t.Errorf("SwitchboardMessagesWaiting: %s, want the sends and inbound queues over queueWaitSeconds (60)", e)
	}
	if e := alerts["SwitchboardTasksFailing"]; !strings.Contains(e, "> 0.1 * ") {
		t.Errorf("SwitchboardTasksFailing: %s, want failingRatio (0.1) of the processed rate", e)
	}
}

// productMetrics are the metric names the product's Go code registers: every
// "switchboard_…" string literal under platform/.
func productMetrics(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	literal := regexp.MustCompile(`"(switchboard_[a-z_]+)"`)
	root := filepath.Join(chartDir, "..", "..", "platform")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			out[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !out["switchboard_queue_latency_seconds"] {
		t.Fatalf("no metric names found under %s", root)
	}
	return out
}

// checkWorkerMetricsService: the Service the worker ServiceMonitor scrapes
// exposes, under the endpoint's port name, the worker's probes port.
func (r *rendering) checkWorkerMetricsService(port int32) {
	t := r.t
	t.Helper()
	svc := r.services[fullname+"-worker-metrics"]
	sm := r.serviceMonitors[fullname+"-worker"]
	if svc == nil || sm == nil {
		t.Fatalf("worker metrics: Service %v, ServiceMonitor %v", names(r.services), names(r.serviceMonitors))
	}
	c := r.deployments[fullname+"-worker"].Spec.Template.Spec.Containers[0]
	if len(svc.Spec.Ports) != 1 || len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("worker metrics: Service ports %+v, ServiceMonitor endpoints %+v", svc.Spec.Ports, sm.Spec.Endpoints)
	}
	sp := svc.Spec.Ports[0]
	if sp.Name != sm.Spec.Endpoints[0].Port {
		t.Errorf("worker ServiceMonitor scrapes port %q, the Service names %q", sm.Spec.Endpoints[0].Port, sp.Name)
	}
	if got, ok := containerPort(c, sp.TargetPort); !ok || got != port || sp.TargetPort.String() != "probes" {
		t.Errorf("worker metrics Service targets %s (container port %d), want probes/%d", sp.TargetPort.String(), got, port)
	}
}

// TestWorkerProbes: the worker's listener, its probes and its metrics Service
// follow worker.probesPort; probe values set timing only, the checks stay fixed.
func TestWorkerProbes(t *testing.T) {
	vals := readValues(t, "default-values.yaml")
	vals["worker"] = map[string]any{
		"probesPort":    9464,
		"livenessProbe": map[string]any{"periodSeconds": 30, "failureThreshold": 5},
	}
	vals["serviceMonitor"] = map[string]any{"enabled": true}
	r := render(t, vals)
	r.checkAll(fullname, true)
	c := r.deployments[fullname+"-worker"].Spec.Template.Spec.Containers[0]
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 9464 {
		t.Errorf("worker ports %v, want probes/9464", c.Ports)
	}
	if e, _ := r.env(fullname+"-worker", "SWITCHBOARD_WORKER__ADDR"); e.Value != ":9464" {
		t.Errorf("SWITCHBOARD_WORKER__ADDR = %q, want :9464", e.Value)
	}
	lp := c.LivenessProbe
	if lp == nil || lp.PeriodSeconds != 30 || lp.FailureThreshold != 5 || lp.TimeoutSeconds != 3 {
		t.Errorf("worker liveness probe %+v, want the given period and threshold over the default timeout", lp)
	}
	if rp := c.ReadinessProbe; rp == nil || rp.PeriodSeconds != 10 {
		t.Errorf("worker readiness probe %+v, want the default timing", rp)
	}
	if sp := c.StartupProbe; sp == nil || sp.FailureThreshold*sp.PeriodSeconds < 60 {
		t.Errorf("worker startup probe %+v gives the plugins under a minute to start", sp)
	}
	r.checkWorkerMetricsService(9464)
	if p := r.services[fullname+"-worker-metrics"].Spec.Ports[0].Port; p != 9464 {
		t.Errorf("worker metrics Service port %d, want 9464", p)
	}
	if web := r.deployments[fullname+"-web"].Spec.Template.Spec.Containers[0]; len(web.Ports) != 1 || web.Ports[0].ContainerPort != 8080 {
		t.Errorf("worker.probesPort moved the web port: %v", web.Ports)
	}
}

// TestRejected: the schema refuses unknown keys at every level it defines and
// secret settings in config.extraEnv; the templates refuse an install without
// the secrets it needs.
func TestRejected(t *testing.T) {
	base := func() map[string]any { return readValues(t, "default-values.yaml") }
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   string
	}{
		{"unknown top-level key", func(v map[string]any) { v["replicas"] = 3 }, "replicas"},
		{"unknown nested key", func(v map[string]any) { v["web"] = map[string]any{"replicas": 3} }, "replicas"},
		{"unknown deep key", func(v map[string]any) {
			v["web"] = map[string]any{"autoscaling": map[string]any{"targetCPU": 50}}
		}, "targetCPU"},
		{"unknown secret key", func(v map[string]any) { v["secrets"].(map[string]any)["databasePassword"] = "x" }, "databasePassword"},
		{"secret setting in extraEnv", func(v map[string]any) {
			v["config"] = map[string]any{"extraEnv": map[string]any{"SWITCHBOARD_SECRET_KEY": "x"}}
		}, "invalid propertyName 'SWITCHBOARD_SECRET_KEY'"},
		{"non-SWITCHBOARD extraEnv", func(v map[string]any) {
			v["config"] = map[string]any{"extraEnv": map[string]any{"HOME": "/"}}
		}, "invalid propertyName 'HOME'"},
		{"malformed secret key", func(v map[string]any) { v["secrets"].(map[string]any)["secretKey"] = "short" }, "secretKey"},
		{"wrong type", func(v map[string]any) { v["service"] = map[string]any{"port": "eighty"} }, "port"},
		{"no values at all", func(v map[string]any) { clear(v) }, "secrets.secretKey is required"},
		{"no database", func(v map[string]any) { delete(v["secrets"].(map[string]any), "databaseUrl") }, "secrets.databaseUrl is required"},
		{"no redis", func(v map[string]any) { delete(v["secrets"].(map[string]any), "redisUrl") }, "secrets.redisUrl is required"},
		{"postgres host without password", func(v map[string]any) {
			v["postgresql"] = map[string]any{"host": "pg"}
		}, "secrets.postgresPassword is required"},
		{"worker listener in extraEnv", func(v map[string]any) {
			v["config"] = map[string]any{"extraEnv": map[string]any{"SWITCHBOARD_WORKER__ADDR": ":9000"}}
		}, "invalid propertyName 'SWITCHBOARD_WORKER__ADDR'"},
		{"worker probe beyond timing", func(v map[string]any) {
			v["worker"] = map[string]any{"livenessProbe": map[string]any{"exec": map[string]any{"command": []any{"true"}}}}
		}, "exec"},
		{"worker probes port out of range", func(v map[string]any) { v["worker"] = map[string]any{"probesPort": 70000} }, "probesPort"},
		{"alerts without the worker's scrape", func(v map[string]any) {
			v["prometheusRule"] = map[string]any{"enabled": true}
		}, "prometheusRule.enabled needs serviceMonitor.enabled"},
		{"failing ratio above 1", func(v map[string]any) {
			v["prometheusRule"] = map[string]any{"failingRatio": 2}
		}, "failingRatio"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := base()
			c.mutate(v)
			_, err := install(t, v)
			if err == nil {
				t.Fatalf("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error does not mention %q: %v", c.want, err)
			}
		})
	}
}

// TestReadmeListsEveryValue: charts/switchboard/README.md documents every value
// of values.yaml (a path documented as a whole, e.g. web.resources, covers what
// is below it), and documents no value that does not exist.
func TestReadmeListsEveryValue(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	if err := sigsyaml.Unmarshal(raw, &vals); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `") {
			documented[strings.SplitN(line[3:], "`", 2)[0]] = true
		}
	}
	known := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			known[p] = true
			if documented[p] {
				if sub, ok := v.(map[string]any); ok {
					markKnown(p, sub, known)
				}
				continue
			}
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(p, sub)
				continue
			}
			t.Errorf("README.md has no row for value %s", p)
		}
	}
	walk("", vals)
	for p := range documented {
		if !known[p] {
			t.Errorf("README.md documents %s, which values.yaml does not have", p)
		}
	}
}

func markKnown(prefix string, m map[string]any, known map[string]bool) {
	for k, v := range m {
		known[prefix+"."+k] = true
		if sub, ok := v.(map[string]any); ok {
			markKnown(prefix+"."+k, sub, known)
		}
	}
}
