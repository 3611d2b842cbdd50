module github.com/rmactor/rmactor

go 1.26
