package packaging_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// composeFile is the part of docker-compose.yml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image string `json:"image"`
		Build struct {
			Context    string `json:"context"`
			Dockerfile string `json:"dockerfile"`
		} `json:"build"`
		DependsOn   map[string]struct{ Condition string } `json:"depends_on"`
		Environment map[string]string                     `json:"environment"`
		Ports       []string                              `json:"ports"`
		Volumes     []string                              `json:"volumes"`
		Healthcheck struct {
			Test []string `json:"test"`
		} `json:"healthcheck"`
	} `json:"services"`
	Volumes map[string]any `json:"volumes"`
}

// loadCompose parses docker-compose.yml with Python's YAML parser (Docker
// itself cannot run here).
func loadCompose(t *testing.T) composeFile {
	t.Helper()
	need(t, "python3")
	path := filepath.Join(repoRoot(t), "packaging/docker/docker-compose.yml")
	cmd := exec.Command("python3", "-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", path)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && strings.Contains(string(ee.Stderr), "No module named 'yaml'") {
			t.Skip("SKIP: python3 has no yaml module to parse docker-compose.yml")
		}
		t.Fatalf("docker-compose.yml does not parse: %v\n%s", err, out)
	}
	var c composeFile
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// TestCompose checks the compose file's shape: a MongoDB and orgd with a
// TLS listener and persistent volumes.
func TestCompose(t *testing.T) {
	c := loadCompose(t)
	orgd, mongo := c.Services["orgd"], c.Services["mongo"]

	t.Run("MongoDB keeps its data in a named volume", func(t *testing.T) {
		if !strings.HasPrefix(mongo.Image, "mongo:") || !slices.Contains(mongo.Volumes, "mongo-data:/data/db") || c.Volumes == nil {
			t.Errorf("mongo: image %q, volumes %q; want a mongo image with mongo-data:/data/db", mongo.Image, mongo.Volumes)
		}
		if _, ok := c.Volumes["mongo-data"]; !ok {
			t.Error("the volume mongo-data is not declared")
		}
	})
	t.Run("orgd is built from packaging/docker/Dockerfile at the top of the repository", func(t *testing.T) {
		if orgd.Build.Context != "../.." || orgd.Build.Dockerfile != "packaging/docker/Dockerfile" {
			t.Errorf("build: %+v", orgd.Build)
		}
	})
	t.Run("orgd waits for a healthy MongoDB and a certificate", func(t *testing.T) {
		if orgd.DependsOn["mongo"].Condition != "service_healthy" || orgd.DependsOn["tls-init"].Condition != "service_completed_successfully" {
			t.Errorf("depends_on: %+v", orgd.DependsOn)
		}
	})
	t.Run("orgd uses the MongoDB service", func(t *testing.T) {
		if !strings.HasPrefix(orgd.Environment["ORGD_MONGO_URI"], "mongodb://mongo:27017/") {
			t.Errorf("ORGD_MONGO_URI = %q", orgd.Environment["ORGD_MONGO_URI"])
		}
	})
	t.Run("orgd serves TLS on port 7443, published", func(t *testing.T) {
		if !strings.Contains(orgd.Environment["ORGD_LISTEN"], "tcp://0.0.0.0:7443") ||
			orgd.Environment["ORGD_TLS_CERT"] == "" || orgd.Environment["ORGD_TLS_KEY"] == "" ||
			!slices.Contains(orgd.Ports, "7443:7443") {
			t.Errorf("environment %v, ports %v", orgd.Environment, orgd.Ports)
		}
	})
	t.Run("orgd keeps its data directory in a named volume", func(t *testing.T) {
		if !slices.Contains(orgd.Volumes, "orgd-data:/var/lib/orgd") {
			t.Errorf("volumes: %q", orgd.Volumes)
		}
		if _, ok := c.Volumes["orgd-data"]; !ok {
			t.Error("the volume orgd-data is not declared")
		}
	})
	t.Run("orgd's health check calls system.health on its socket", func(t *testing.T) {
		if !slices.Contains(orgd.Healthcheck.Test, "system.health") {
			t.Errorf("healthcheck: %q", orgd.Healthcheck.Test)
		}
	})
	t.Run("every ORGD_ variable set is a flag of orgd serve", func(t *testing.T) {
		flags := map[string]bool{}
		for _, f := range serveFlags(t) {
			flags[envVar(f.name)] = true
		}
		for v := range orgd.Environment {
			if !flags[v] {
				t.Errorf("docker-compose.yml sets %s, which no flag of orgd serve reads", v)
			}
		}
		for _, m := range regexp.MustCompile(`ORGD_[A-Z_]+`).FindAllString(readRepoFile(t, "packaging/docker/Dockerfile"), -1) {
			if !flags[m] {
				t.Errorf("the Dockerfile sets %s, which no flag of orgd serve reads", m)
			}
		}
	})
}

// TestDockerfile checks what can be checked without a Docker engine: two
// stages, a static build, and a non-root final stage.
func TestDockerfile(t *testing.T) {
	df := readRepoFile(t, "packaging/docker/Dockerfile")
	stages := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(df, -1)
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile has %d stages, want a build stage and a final one", len(stages))
	}
	final := df[stages[len(stages)-1][0]:]
	tests := []struct {
		name string
		ok   bool
	}{
		{"the binaries are built without cgo", strings.Contains(df, "CGO_ENABLED=0 go build")},
		{"the final stage runs as a user other than root", regexp.MustCompile(`(?m)^USER (\d+)`).MatchString(final) &&
			!regexp.MustCompile(`(?m)^USER (0|root)\b`).MatchString(final)},
		{"the final stage copies the binaries from the build stage", strings.Contains(final, "COPY --from=build /out/bin/ /usr/bin/")},
		{"the final stage runs orgd serve", strings.Contains(final, `ENTRYPOINT ["/usr/bin/orgd"]`) && strings.Contains(final, `CMD ["serve"]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("not so in packaging/docker/Dockerfile")
			}
		})
	}
	t.Run("the certificate script is valid sh", func(t *testing.T) {
		output(t, "sh", "-n", filepath.Join(repoRoot(t), "packaging/docker/gen-cert.sh"))
	})
}
