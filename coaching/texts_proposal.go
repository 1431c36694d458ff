package coaching

// proposalTexts are the notice texts of students' comments on and proposals to their plan (the HOKS), in Finnish, Swedish and English.
var proposalTexts = map[string]textSpec{}
