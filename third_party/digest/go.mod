module github.com/icholy/digest

go 1.22
