package i18n

// The words of the dunning ladder's credit hold on new orders (issue 13): a
// credit hold case names the day the ladder held the customer. Merged into
// the catalogue at start; a key both hold panics.
var dunningHoldCatalogue = map[string]entry{
	"field.dunning_hold_since": {"催收暂停新订单起始日", "Held by dunning since"},
}

func init() { merge(dunningHoldCatalogue) }
