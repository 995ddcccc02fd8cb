package replay

import (
	"strconv"
	"strings"

	"pbxlab/internal/flow"
)

// merge adds a window's report to the run's: every verdict counted, at
// most Windowing.Verdicts of each kind listed; the window's dialogs
// named after those of the windows before it (D501 on); its flows and
// ladders kept only while the run is one window.
func (r *Replayer) merge(part *Report) {
	rep := r.rep
	rep.Windows++
	if rep.Windows == 1 {
		rep.Reference, rep.Live, rep.refPkts, rep.livePkts = part.Reference, part.Live, part.refPkts, part.livePkts
	} else {
		rep.Reference, rep.Live, rep.refPkts, rep.livePkts = flow.Flow{}, flow.Flow{}, nil, nil
	}
	highest := 0
	for i, v := range part.Verdicts {
		d := part.Result.Dialogs[i]
		n, ok := callNumber(v.Call)
		if ok {
			highest = max(highest, n)
			v.Call = "D" + strconv.Itoa(n+r.callBase)
			d.Call = v.Call
		}
		rep.dialogs++
		kept := &r.keptEquivalent
		if !v.Equivalent {
			rep.divergent++
			kept = &r.keptDivergent
		}
		if *kept >= r.cfg.Window.Verdicts {
			rep.Omitted++
			continue
		}
		*kept++
		rep.Verdicts = append(rep.Verdicts, v)
		rep.Result.Dialogs = append(rep.Result.Dialogs, d)
	}
	r.callBase += highest
}

// callNumber is n of the placeholder "Dn".
func callNumber(call string) (int, bool) {
	rest, ok := strings.CutPrefix(call, "D")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}
