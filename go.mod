module github.com/esmigrate/esmigrate

go 1.26.7

require (
	github.com/moby/sys/mountinfo v0.7.3
	github.com/olivere/elastic/v7 v7.0.32
	golang.org/x/sys v0.50.0
	golang.org/x/time v0.16.0
)

require (
	github.com/gofrs/flock v0.13.2 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/mailru/easyjson v0.7.7 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/term v0.48.0 // indirect
)
