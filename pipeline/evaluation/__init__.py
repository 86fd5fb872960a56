"""Quality measurements on labelled data (`newsdedup eval extraction|dedupe`)."""
