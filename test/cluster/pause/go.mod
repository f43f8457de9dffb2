// The sandbox ("pause") program of the test cluster's pods (test tooling only; see ../build.sh).
module fastapiapp.local/test/cluster/pause

go 1.24.0
