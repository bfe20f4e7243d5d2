# Sourced by gate.sh and ppo.sh. A candidate's GGUF is data/models/negotiator-NAME.gguf: a shipped negotiator's name
# (core/config.ts `negotiatorChoices`) would put it where `ship install-negotiator` keeps the shipped one, and it
# would be served as that (session 31 found this so).
refuse_shipped_name() { # NAME
  case $1 in trained | persona | weighted | split | base)
    echo "negotiator: $1 is a shipped negotiator's name; name the candidate otherwise" >&2
    exit 2
    ;;
  esac
}
