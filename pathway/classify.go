package pathway

// Classification judges a destination.
type Classification string

// Classifications.
const (
	Positive Classification = "positive"
	Neutral  Classification = "neutral"
	Negative Classification = "negative"
)

// Valid reports whether c is positive, neutral or negative.
func (c Classification) Valid() bool { return c == Positive || c == Neutral || c == Negative }

// A Classifier judges destinations. Implementations must return one of
// Positive, Neutral or Negative for every kind, including invalid ones.
type Classifier interface {
	Classify(k Kind) Classification
}

// ClassifierFunc adapts a function to [Classifier]. A result that is not a
// valid classification is treated as Neutral.
type ClassifierFunc func(k Kind) Classification

// Classify calls f.
func (f ClassifierFunc) Classify(k Kind) Classification {
	if f == nil {
		return DefaultClassifier().Classify(k)
	}
	if c := f(k); c.Valid() {
		return c
	}
	return Neutral
}

// ClassifierMap classifies by lookup. Kinds missing from the map, and
// entries that are not a valid classification, fall back to the
// [DefaultClassifier], so a host can override only what it disagrees with.
type ClassifierMap map[Kind]Classification

// Classify looks k up.
func (m ClassifierMap) Classify(k Kind) Classification {
	if c, ok := m[k]; ok && c.Valid() {
		return c
	}
	return DefaultClassifier().Classify(k)
}

type defaultClassifier struct{}

// DefaultClassifier follows the seeds: studies and work are positive (VALO's
// "positive onward path"), a redirect to a better-suited field is positive
// (the first-year pilot counts it as a success); job seeking, being outside
// the labour force (parental leave, service, other), another service and an
// unknown destination are neutral; unemployment is negative.
func DefaultClassifier() Classifier { return defaultClassifier{} }

func (defaultClassifier) Classify(k Kind) Classification {
	switch k.Group() {
	case GroupStudies, GroupWork, GroupRedirected:
		return Positive
	case GroupUnemployed:
		return Negative
	}
	return Neutral
}
