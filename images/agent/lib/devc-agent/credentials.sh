# shellcheck shell=sh
# devc-agent's credentials: the git credential helper, and the GitHub token and git settings written
# at every start (sourced by bin/devc-agent).

# The git credential helper (runs as the user, from git): `devc-agent git-credential [--allow-http] get`
# answers with the token in ~/.config/devc/github-token, for https (and http when allowed) only.
git_credential() {
  allow_http=
  if [ "${1:-}" = --allow-http ]; then allow_http=1; shift; fi
  [ "${1:-}" = get ] || exit 0
  protocol=
  while IFS= read -r line && [ -n "$line" ]; do
    case $line in protocol=*) protocol=${line#protocol=} ;; esac
  done
  token_file=${HOME:-/nonexistent}/.config/devc/github-token
  case $protocol in https) ;; http) [ -n "$allow_http" ] || exit 0 ;; *) exit 0 ;; esac
  [ -r "$token_file" ] || exit 0
  IFS= read -r token <"$token_file" || [ -n "${token:-}" ] || exit 0
  printf 'username=x-access-token\npassword=%s\n' "$token"
  exit 0
}

# The key git signs with (runs as the user, from git's gpg.ssh.defaultKeyCommand): the first key of the
# ssh-agent forwarded into this session, in git's `key::` form. The private key stays on the user's
# machine: ssh-keygen asks the forwarded agent to sign.
# shellcheck disable=SC2016 # backquotes name commands in its messages
signing_key() {
  if [ -z "${SSH_AUTH_SOCK:-}" ]; then
    echo 'devc: no ssh-agent here to sign with: connect with `devc ssh -A`, or run `devc config-ssh --forward-agent` once and use ssh NAME.devc' >&2
    exit 1
  fi
  key=$(ssh-add -L 2>/dev/null | head -n 1)
  case $key in
    ssh-* | ecdsa-* | sk-*) printf 'key::%s\n' "$key" ;;
    *) echo 'devc: the forwarded ssh-agent holds no keys: run `ssh-add` on your machine, then connect again' >&2; exit 1 ;;
  esac
  exit 0
}

git_config() {
  have git || return 0
  if [ -n "$ROOTLESS" ]; then
    # /etc/gitconfig is not writable: a copy in /run/devc takes its place (git reads GIT_CONFIG_SYSTEM).
    GIT_CONFIG_SYSTEM=$RUN_DIR/gitconfig
    export GIT_CONFIG_SYSTEM
    if [ -r /etc/gitconfig ]; then cp /etc/gitconfig "$GIT_CONFIG_SYSTEM"; else : >"$GIT_CONFIG_SYSTEM"; fi
  fi
  [ -n "${GIT_USER_NAME:-}" ] && git config --system user.name "$GIT_USER_NAME"
  [ -n "${GIT_USER_EMAIL:-}" ] && git config --system user.email "$GIT_USER_EMAIL"
  # System level: the user's own ~/.gitconfig still wins. The helper answers https only, and only
  # when a token was given.
  git config --system --replace-all credential.helper "!$AGENT_PATH git-credential"
  # Plain-http hosts get the token only when named (DEVC_GIT_HTTP_HOSTS="host[:port] ...", e.g. a
  # test server); every other http remote gets nothing from devc.
  for h in $(printf '%s' "${DEVC_GIT_HTTP_HOSTS:-}" | tr ',' ' '); do
    git config --system --replace-all "credential.http://$h.helper" "!$AGENT_PATH git-credential --allow-http"
  done
  # Signing (`git commit -S`, or commit.gpgsign in the user's own config) uses the forwarded ssh-agent's
  # key. devc does not turn commit.gpgsign on: without a forwarded agent every commit would fail.
  git config --system gpg.format ssh
  git config --system gpg.ssh.defaultKeyCommand "$AGENT_PATH signing-key"
  # The source folder may belong to another uid on the host (git's "dubious ownership").
  if [ -n "${DEVC_WORKSPACE_FOLDER:-}" ] &&
    ! git config --system --get-all safe.directory | grep -qxF "$DEVC_WORKSPACE_FOLDER"; then
    git config --system --add safe.directory "$DEVC_WORKSPACE_FOLDER"
  fi
  return 0
}

github_token() {
  token_file=$USER_HOME/.config/devc/github-token
  hosts=$USER_HOME/.config/gh/hosts.yml
  if [ -s "$CONF/github-token" ]; then
    token=$(tr -d ' \t\r\n' <"$CONF/github-token")
    user_dir "$USER_HOME/.config" 0755
    user_dir "$USER_HOME/.config/devc" 0700
    user_dir "$USER_HOME/.config/gh" 0700
    printf '%s\n' "$token" | user_secret_file "$token_file"
    # gh reads its token from here: logged in without a network call.
    printf '# devc-agent: written at every start from the token devc gives this workspace\ngithub.com:\n    oauth_token: %s\n    user: %s\n    git_protocol: https\n' \
      "$token" "${GITHUB_USER:-x-access-token}" | user_secret_file "$hosts"
    unset token
    log "GitHub token installed for $USER_NAME (gh, git over https)"
  else
    rm -f "$token_file"
    if [ -f "$hosts" ] && grep -q '^# devc-agent' "$hosts"; then rm -f "$hosts"; fi
  fi
}
