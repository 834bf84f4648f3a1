#!/bin/sh
# Gathers OpenSSH and code-server's runtime libraries under /opt/devc so they run in other images.
# sshd and friends carry their own glibc and loader (they work whatever the image's libc is);
# code-server runs on the image's glibc with the extra libraries its native modules need.
set -eu
B=/opt/devc
mkdir -p "$B/bin" "$B/libexec" "$B/lib/ssh" "$B/lib/extra"

deps() { ldd "$1" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'; }

for prog in /usr/sbin/sshd /usr/lib/openssh/sftp-server /usr/bin/ssh-keygen; do
  name=$(basename "$prog")
  cp "$prog" "$B/libexec/$name"
  for lib in $(deps "$prog"); do cp -nL "$lib" "$B/lib/ssh/"; done
  # -r in sshd's case is added by the agent: re-exec would bypass this loader.
  printf '#!/bin/sh\nexec /opt/devc/lib/ssh/ld-linux-x86-64.so.2 --library-path /opt/devc/lib/ssh /opt/devc/libexec/%s "$@"\n' "$name" >"$B/bin/$name"
  chmod 0755 "$B/bin/$name"
done

# Everything node and the native modules of code-server link against, except glibc itself.
for f in "$B/node/bin/node" $(find "$B/code-server" -path '*linux-x64*' -name '*.node' -o -path '*/Release/*.node' | grep -v obj.target); do
  for lib in $(deps "$f" 2>/dev/null); do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*) ;;
      *) cp -nL "$lib" "$B/lib/extra/" ;;
    esac
  done
done
# The agent starts it through its launcher (lib/devc-agent/code-server.js), named in
# DEVC_CODE_SERVER_LAUNCHER; run by hand, it is code-server's own start.
cat >"$B/bin/code-server" <<'SH'
#!/bin/sh
LD_LIBRARY_PATH=/opt/devc/lib/extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  exec /opt/devc/node/bin/node ${DEVC_CODE_SERVER_LAUNCHER:+"$DEVC_CODE_SERVER_LAUNCHER"} \
  /opt/devc/code-server/lib/node_modules/code-server/out/node/entry.js "$@"
SH
chmod 0755 "$B/bin/code-server"
"$B/bin/sshd" -V 2>&1 | head -1 || true
