package retention

import (
	"context"
	"log/slog"
	"time"
)

// LeaseName is the lease the scheduled sweep holds (meta.DB.TryLease).
const LeaseName = "retention-sweep"

// Schedule sweeps every interval until ctx ends, on one replica at a time: before each sweep it takes
// or renews the LeaseName lease for holder (for two intervals, so the holder keeps it from tick to
// tick and another replica takes over within two intervals of the holder's end). A replica that does
// not hold the lease skips the tick. Each sweep is logged, and a failed one does not stop the schedule.
func Schedule(ctx context.Context, o Options, every time.Duration, holder string, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ScheduledSweep(ctx, o, every, holder, log)
	}
}

// ScheduledSweep is one tick of Schedule: the sweep if holder holds the lease (it reports whether it
// ran).
func ScheduledSweep(ctx context.Context, o Options, every time.Duration, holder string, log *slog.Logger) bool {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, cancel := context.WithTimeout(ctx, o.timeout())
	ok, err := o.DB.TryLease(c, LeaseName, holder, 2*every)
	cancel()
	if err != nil {
		log.Warn("retention sweep: lease", "err", err)
		return false
	}
	if !ok {
		log.Debug("retention sweep: another replica holds the lease", "lease", LeaseName)
		return false
	}
	rep, err := Sweep(ctx, o)
	if err != nil {
		log.Error("retention sweep", "err", err)
		return true
	}
	log.Info("retention sweep", "removed", rep.Removed, "kept", rep.Kept, "locked", rep.Locked, "sets", len(rep.Items))
	for _, it := range rep.Items {
		if it.Outcome == Removed {
			log.Info("retention sweep: set removed", "set", it.Set(), "retainUntil", it.RetainUntil, "evidence", it.EvidenceID)
		}
	}
	return true
}
