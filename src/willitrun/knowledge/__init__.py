"""Knowledge the commands share: the glossary (`explain`) and known problems (`troubleshoot`)."""
