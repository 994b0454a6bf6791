package cli

import (
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
)

// loadPromotion reads --promotion, if given, and reconciles it with --promotion-id. A denied promotion
// is not deployed.
func loadPromotion(o *GenerateOptions) (*evidence.Promotion, error) {
	if o.Promotion == "" {
		return nil, nil
	}
	p, err := evidence.LoadPromotion(o.Promotion)
	if err != nil {
		return nil, err
	}
	if o.PromotionID != "" && o.PromotionID != p.ID {
		return nil, fault.Inputf("--promotion-id: %q differs from the id %q of %s", o.PromotionID, p.ID, o.Promotion)
	}
	o.PromotionID = p.ID
	return p, nil
}
