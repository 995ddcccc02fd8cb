package pbx

// GaugeValue is the value of the metric name with the label peer (for
// the trunk tests); false when there is no such series.
func GaugeValue(s *Server, name, peer string) (float64, bool) {
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		return 0, false
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "peer" && l.GetValue() == peer {
					switch {
					case m.GetGauge() != nil:
						return m.GetGauge().GetValue(), true
					case m.GetCounter() != nil:
						return m.GetCounter().GetValue(), true
					}
				}
			}
		}
	}
	return 0, false
}
