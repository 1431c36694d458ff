package coaching

// absenceTexts are the notice texts of absence reports, explanations and leave requests (package coaching/absence), in Finnish, Swedish and English.
var absenceTexts = map[string]textSpec{}
