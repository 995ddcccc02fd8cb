package authority

import (
	"fmt"

	"pbxlab/pbx/internal/services"
)

// Config is the services.authority section: number classes, roles with
// the highest class their members may call, and who has which role.
// Default: no classes, and the service does nothing.
type Config struct {
	// Classes are the number classes, lowest first (e.g. internal, local,
	// national, international, premium). A number routing out is of the
	// class of the longest prefix it starts with (prefixes are matched on
	// the number after the substitution before number analysis); one that
	// matches no prefix is of the highest class. A call that stays inside
	// the PBX (a subscriber, a group, an IVR, a conference) is of the
	// lowest class, whatever its digits. Default none.
	Classes []Class `yaml:"classes"`
	// Roles are the subscriber types and roles of the manual (one name
	// here): each may call numbers up to its class. Default none.
	Roles []Role `yaml:"roles"`
	// Members give subscribers their role, by exact number or number
	// prefix; an exact number beats a prefix, a longer prefix a shorter
	// one. Default none.
	Members []Members `yaml:"members"`
	// DefaultRole is the role of a subscriber no member entry names; ""
	// (the default) lets such a subscriber call every class.
	DefaultRole string `yaml:"default_role"`
}

// Class is one number class.
type Class struct {
	// Name is the class's name, unique. Required.
	Name string `yaml:"name"`
	// Prefixes are the numbers of the class (digits). Default none.
	Prefixes []string `yaml:"prefixes"`
}

// Role is a subscriber role.
type Role struct {
	// Name is the role's name, unique. Required.
	Name string `yaml:"name"`
	// Class is the highest class the role may call (a name of classes).
	// Required.
	Class string `yaml:"class"`
}

// Members gives numbers a role.
type Members struct {
	// Role names a role of roles. Required.
	Role string `yaml:"role"`
	// Numbers are subscriber numbers; Prefixes number prefixes. At least
	// one of them.
	Numbers  []string `yaml:"numbers"`
	Prefixes []string `yaml:"prefixes"`
}

// Enabled reports whether the configuration restricts anything.
func (cfg Config) Enabled() bool { return len(cfg.Classes) > 0 }

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	classes, roles := map[string]bool{}, map[string]bool{}
	prefixes := map[string]string{}
	for i, c := range cfg.Classes {
		f := fmt.Sprintf("classes[%d]", i)
		ps.Name(f+".name", c.Name, classes)
		for j, p := range c.Prefixes {
			pf := fmt.Sprintf("%s.prefixes[%d]", f, j)
			if !ps.Number(pf, p) {
				continue
			}
			if other, ok := prefixes[p]; ok {
				ps.Add(pf, "%q is a prefix of class %q already", p, other)
			}
			prefixes[p] = c.Name
		}
	}
	if len(cfg.Classes) == 0 && (len(cfg.Roles) > 0 || len(cfg.Members) > 0) {
		ps.Add("classes", "required with roles and members")
	}
	for i, r := range cfg.Roles {
		f := fmt.Sprintf("roles[%d]", i)
		ps.Name(f+".name", r.Name, roles)
		if !classes[r.Class] {
			ps.Add(f+".class", "unknown class %q", r.Class)
		}
	}
	exact, pfx := map[string]bool{}, map[string]bool{}
	for i, m := range cfg.Members {
		f := fmt.Sprintf("members[%d]", i)
		if !roles[m.Role] {
			ps.Add(f+".role", "unknown role %q", m.Role)
		}
		if len(m.Numbers) == 0 && len(m.Prefixes) == 0 {
			ps.Add(f, "give numbers or prefixes")
		}
		for j, n := range m.Numbers {
			nf := fmt.Sprintf("%s.numbers[%d]", f, j)
			if ps.Number(nf, n) && exact[n] {
				ps.Add(nf, "%q has a role already", n)
			}
			exact[n] = true
		}
		for j, p := range m.Prefixes {
			pf := fmt.Sprintf("%s.prefixes[%d]", f, j)
			if ps.Number(pf, p) && pfx[p] {
				ps.Add(pf, "prefix %q has a role already", p)
			}
			pfx[p] = true
		}
	}
	if cfg.DefaultRole != "" && !roles[cfg.DefaultRole] {
		ps.Add("default_role", "unknown role %q", cfg.DefaultRole)
	}
	return ps
}
