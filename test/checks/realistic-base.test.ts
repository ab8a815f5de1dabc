import test from 'ava'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {scanFile, sh, tmp} from './secret-fixtures.js'

/** Small but realistic Debian-like files: full of secret words ("password", "secret", "key") and none a secret. */
const BASE: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n',
  '/etc/shadow': 'root:*:19769:0:99999:7:::\ndaemon:*:19769:0:99999:7:::\nnobody:*:19769:0:99999:7:::\n_apt:*:19769:0:99999:7:::\nsystemd-network:!*:19769::::::\nmysql:!:19769::::::\n',
  '/etc/gshadow': 'root:*::\nshadow:*::\nsudo:*::\n',
  '/etc/login.defs': 'PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nENCRYPT_METHOD SHA512\n# If set to yes, passwords are hashed\n',
  '/etc/pam.d/common-password': 'password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword\trequisite\t\t\tpam_deny.so\npassword\trequired\t\t\tpam_permit.so\n',
  '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\n#HostKey /etc/ssh/ssh_host_rsa_key\n#PermitRootLogin prohibit-password\n#PasswordAuthentication yes\nKbdInteractiveAuthentication no\n#AuthorizedKeysFile\t.ssh/authorized_keys\n',
  '/usr/lib/ssl/openssl.cnf': '[ req ]\ndefault_bits\t\t= 2048\n# input_password = secret\n# output_password = secret\nattributes\t\t= req_attributes\n[ req_attributes ]\nchallengePassword\t\t= A challenge password\nchallengePassword_min\t\t= 4\n',
  '/etc/adduser.conf': 'DSHELL=/bin/bash\nDHOME=/home\n# If PASSWORD_GECOS is set, the GECOS field is asked for\nSKEL=/etc/skel\n',
  '/usr/share/perl5/Debconf/Config.pm': 'my $password = $this->{password};\nreturn $self->{secret_key} // undef;\n',
  '/usr/lib/python3/dist-packages/requests/auth.py': 'def _basic_auth_str(username, password):\n    authstr = "Basic " + to_native_string(b64encode(b":".join((username, password))).strip())\n',
  '/etc/apt/sources.list.d/debian.sources': 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nHOME_URL="https://www.debian.org/"\n',
  '/usr/lib/python3/dist-packages/botocore/docs/examples.py': 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\naws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
}

test('a Debian-like base gives nothing above info, except real key material', (t) => {
  const d = tmp()
  try {
    const files: Record<string, string | Buffer> = {...BASE}
    // Public CAs from this machine's trust store, placed where distributions and pip keep them.
    if (existsSync('/etc/ssl/certs/ca-certificates.crt')) {
      const bundle = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8')
      files['/etc/ssl/certs/ca-certificates.crt'] = bundle
      files['/usr/local/lib/python3.12/site-packages/certifi/cacert.pem'] = bundle
      const one = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/.exec(bundle)?.[0] ?? ''
      files['/usr/share/ca-certificates/mozilla/Some_Root.crt'] = one
      files['/etc/ssl/certs/Some_Root.pem'] = one
    }
    const quiet = Object.entries(files).flatMap(([p, c]) => scanFile(p, c).filter((x) => x.severity !== 'info').map((x) => `${p}: ${x.id}`))
    t.deepEqual(quiet, [])

    // Host keys baked into an image are shared by every container started from it: real findings.
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d.dir, 'ssh_host_ed25519_key')])
    const hostKey = scanFile('/etc/ssh/ssh_host_ed25519_key', readFileSync(join(d.dir, 'ssh_host_ed25519_key')))
    t.deepEqual(hostKey.map((x) => `${x.id}:${x.severity}`), ['private-key.openssh:high'])
    t.deepEqual(scanFile('/etc/ssh/ssh_host_ed25519_key.pub', readFileSync(join(d.dir, 'ssh_host_ed25519_key.pub'))), [])
  } finally {
    d.done()
  }
})

test('binary files only reach the magic-byte detectors; text rules read the first 1 MiB', (t) => {
  const tok = `ghp_${'A'.repeat(36)}`
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.from(`\0\0 token=${tok} `)])
  t.deepEqual(scanFile('/usr/bin/tool', elf), [])
  const withNul = Buffer.concat([Buffer.from(`password = "Xk29fj3Lq8Zp2mNv7Rt4"\n`), Buffer.alloc(4)])
  t.deepEqual(scanFile('/app/blob', withNul), [])
  const far = `${'#'.repeat(1024 * 1024 + 10)}\npassword = "Xk29fj3Lq8Zp2mNv7Rt4"\n`
  t.deepEqual(scanFile('/app/big.txt', far), [], 'beyond the cap is not scanned')
  t.is(scanFile('/app/small.txt', 'password = "Xk29fj3Lq8Zp2mNv7Rt4"\n').length, 1)
})
