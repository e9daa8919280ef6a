package steps

import (
	"context"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// ClusterSummary is what the operator sees after connecting: who the cluster is and how it is doing.
type ClusterSummary struct {
	Role   string          `json:"role"`
	URL    string          `json:"url"`
	Info   esclient.Info   `json:"info"`
	Health esclient.Health `json:"health"`
	Nodes  []esclient.Node `json:"nodes"`
}

// Product is the cluster's distribution and version.
func (s ClusterSummary) Product() Product {
	return Product{Distribution: s.Info.Distribution, Version: s.Info.Version}
}

// DataNodes counts the nodes that hold shards.
func (s ClusterSummary) DataNodes() int {
	n := 0
	for _, node := range s.Nodes {
		if node.IsData() {
			n++
		}
	}
	return n
}

// String is one line: name, product, health, nodes.
func (s ClusterSummary) String() string { return s.Msg().String() }

// Msg is String as a message.
func (s ClusterSummary) Msg() i18n.Msg {
	return i18n.M("conn.cluster."+s.Role, s.Info.ClusterName, s.URL, s.Info.Product(), s.Health.Status, len(s.Nodes))
}

// Probe connects to one cluster and reads who it is, its health and its nodes (the wizard's "test
// connection"). Three small read requests.
func Probe(ctx context.Context, c *esclient.Client) (ClusterSummary, error) {
	s := ClusterSummary{Role: c.Role(), URL: c.URL()}
	var err error
	if s.Info, err = c.Info(ctx); err != nil {
		return s, err
	}
	if s.Health, err = c.Health(ctx); err != nil {
		return s, err
	}
	if s.Nodes, err = c.Nodes(ctx); err != nil {
		return s, err
	}
	return s, nil
}

// Connect probes both clusters, retrying while one is briefly unreachable.
func (e *Engine) Connect(ctx context.Context) (src, dst ClusterSummary, err error) {
	e.emit(Event{Kind: KindStart, Phase: PhaseConnect, Msg: i18n.M("conn.connecting", e.plan.Source.URL, e.plan.Target.URL)})
	if e.plan.Source.Insecure || e.plan.Target.Insecure {
		e.say(PhaseConnect, 0, LevelWarn, "conn.insecure")
	}
	err = e.retryN(ctx, PhaseConnect, 3, func() (err error) { src, err = Probe(ctx, e.src); return })
	if err != nil {
		e.connectFailed(ctx, err)
		return
	}
	e.emit(Event{Kind: KindLog, Level: LevelInfo, Phase: PhaseConnect, Msg: src.Msg()})
	err = e.retryN(ctx, PhaseConnect, 3, func() (err error) { dst, err = Probe(ctx, e.dst); return })
	if err != nil {
		e.connectFailed(ctx, err)
		return
	}
	e.emit(Event{Kind: KindLog, Level: LevelInfo, Phase: PhaseConnect, Msg: dst.Msg()})
	if src.Info.ClusterUUID != "" && src.Info.ClusterUUID == dst.Info.ClusterUUID {
		err = i18n.Errorf("conn.same", e.plan.Source.URL, e.plan.Target.URL, src.Info.ClusterUUID)
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseConnect, Msg: i18n.MsgOf(err)})
		return
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseConnect})
	return
}

// connectFailed reports a failed connection, unless it failed because the operator stopped it.
func (e *Engine) connectFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseConnect, Msg: i18n.MsgOf(err)})
}

func clusterID(s ClusterSummary) ClusterID {
	return ClusterID{Name: s.Info.ClusterName, UUID: s.Info.ClusterUUID, Version: s.Info.VersionText, Product: s.Info.Product()}
}
