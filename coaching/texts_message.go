package coaching

// messageTexts are the notice texts of replies, messages and contact-detail proposals (package coaching/message), in Finnish, Swedish and English.
var messageTexts = map[string]textSpec{}
