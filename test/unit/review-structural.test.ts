import { describe, expect, it } from "vitest";
import { astGrep } from "@/agents/review/engines";
import {
  AST_GREP_RULES_DIR,
  MAX_PARSES_PER_FILE,
  STRUCTURAL_LANGUAGES,
  detectStructurally,
  languageOfPath,
  loadStructuralRules,
  regexNeeds,
  structuralRuleFiles,
} from "@/agents/review/engines/structural";
import { viewOf } from "@/agents/review/file-view";
import { runReviewRules } from "@/agents/review/rules";
import { parseUnifiedDiff } from "@/lib/diff/unified-diff";
import { ruleCategories, ruleIdOf } from "@/lib/review/review-output";

const EXTENSION: Record<string, string> = { py: "py", ts: "ts", go: "go", java: "java", rb: "rb", php: "php", cs: "cs" };

/** A diff adding `code` as a new file (every line added). */
function addedFile(path: string, code: string): string {
  const lines = code.split("\n");
  return [`diff --git a/${path} b/${path}`, "new file mode 100644", "--- /dev/null", `+++ b/${path}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n") + "\n";
}

function findingsIn(diff: string) {
  return detectStructurally(viewOf(parseUnifiedDiff(diff).files[0]));
}

function rulesIn(path: string, code: string): string[] {
  return [...new Set(findingsIn(addedFile(path, code)).map((f) => f.rule))].sort();
}

/**
 * [extension, category, code, the rules expected to fire]. An empty list is a negative case: the
 * safe form of the same construct (bound parameters, constants, safe loaders, verification on).
 */
const CASES: [string, string, string, string[]][] = [
  ["py", "sql_injection", "cursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")", ["python/sql-built-query", "python/sql-built-string"]],
  ["py", "sql_injection", "cursor.execute(\"SELECT * FROM users WHERE name = %s\", (name,))", []],
  ["py", "sql_injection", "cur.execute(\"SELECT * FROM t WHERE id = %s\" % uid)", ["python/sql-built-query", "python/sql-built-string"]],
  ["py", "sql_injection", "cur.execute(\"SELECT * FROM t WHERE id = \" + uid)", ["python/sql-built-query", "python/sql-built-string"]],
  ["py", "sql_injection", "cur.execute(\"SELECT * FROM t WHERE id = {}\".format(uid))", ["python/sql-built-query", "python/sql-built-string"]],
  ["py", "sql_injection", "User.objects.raw(f\"SELECT * FROM app_user WHERE id = {uid}\")", ["python/sql-built-query", "python/sql-built-string", "python/sql-raw-expression"]],
  ["py", "sql_injection", "qs.annotate(val=RawSQL(\"SELECT col FROM t WHERE id = %s\" % x, []))", ["python/sql-built-string", "python/sql-raw-expression"]],
  ["py", "sql_injection", "qs.annotate(val=RawSQL(\"SELECT col FROM t WHERE id = %s\", [x]))", []],
  ["py", "sql_injection", "sql = f\"SELECT id FROM accounts WHERE owner = '{owner}'\"\n    rows = conn.execute(sql)", ["python/sql-built-string"]],
  ["py", "sql_injection", "logger.info(f\"select from {x}\")", []],
  ["py", "sql_injection", "qs = qs.extra(where=[\"name = '%s'\" % name])", []],
  ["py", "command_injection", "os.system(\"convert \" + filename + \" out.png\")", ["python/os-system-dynamic"]],
  ["py", "command_injection", "os.system(\"make clean\")", []],
  ["py", "command_injection", "subprocess.run(f\"tar xzf {path}\", shell=True)", ["python/subprocess-shell-true"]],
  ["py", "command_injection", "subprocess.run([\"tar\", \"xzf\", path])", []],
  ["py", "command_injection", "subprocess.check_output(cmd, shell=True)", ["python/subprocess-shell-true"]],
  ["py", "command_injection", "subprocess.run([\"sh\", \"-c\", cmd])", ["python/shell-sh-c"]],
  ["py", "code_injection", "result = eval(request.args.get(\"expr\"))", ["python/eval-dynamic"]],
  ["py", "code_injection", "value = eval(\"1 + 2\")", []],
  ["py", "code_injection", "return render_template_string(request.args.get(\"tpl\"))", ["python/template-from-string"]],
  ["py", "code_injection", "return Template(body).render(user=user)", []],
  ["py", "deserialization", "data = pickle.loads(blob)", ["python/pickle-load"]],
  ["py", "deserialization", "cfg = yaml.load(stream)", ["python/yaml-unsafe-load"]],
  ["py", "deserialization", "cfg = yaml.load(stream, Loader=yaml.SafeLoader)", []],
  ["py", "deserialization", "cfg = yaml.safe_load(stream)", []],
  ["py", "path_traversal", "return send_file(os.path.join(UPLOADS, request.args[\"name\"]))", ["python/path-from-request"]],
  ["py", "path_traversal", "return send_file(os.path.join(UPLOADS, secure_filename(name)))", []],
  ["py", "path_traversal", "tar.extractall(dest)", ["python/zip-slip"]],
  ["py", "path_traversal", "tar.extractall(dest, filter=\"data\")", []],
  ["py", "path_traversal", "target = os.path.join(dest, member.filename)", ["python/zip-slip"]],
  ["py", "ssrf", "r = requests.get(request.args.get(\"url\"))", ["python/request-url-from-input"]],
  ["py", "ssrf", "r = requests.get(\"https://api.example.com/v1/items\")", []],
  ["py", "tls_disabled", "r = requests.get(url, verify=False)", ["python/verify-false"]],
  ["py", "tls_disabled", "r = requests.get(url, verify=True)", []],
  ["py", "tls_disabled", "ctx = ssl._create_unverified_context()", ["python/unverified-ssl-context"]],
  ["py", "cors_open", "CORS_ORIGIN_ALLOW_ALL = True", ["python/cors-allow-all"]],
  ["py", "cors_open", "CORS(app, origins=\"*\")", ["python/cors-allow-all"]],
  ["py", "cors_open", "CORS(app, origins=[\"https://example.com\"])", []],
  ["py", "cors_open", "response.headers[\"Access-Control-Allow-Origin\"] = \"*\"", ["python/cors-allow-all"]],
  ["py", "csrf_disabled", "@csrf_exempt\ndef hook(request):\n    pass", ["python/csrf-exempt"]],
  ["py", "csrf_disabled", "@login_required\ndef hook(request):\n    pass", []],
  ["py", "csrf_disabled", "WTF_CSRF_ENABLED = False", ["python/csrf-exempt"]],
  ["py", "csrf_disabled", "app.config[\"WTF_CSRF_ENABLED\"] = False", ["python/csrf-exempt"]],
  ["py", "hardcoded_secret", "SECRET_KEY = b\"\\x8f\\x1a\\x02\\x99\\xaa\\x10\"", ["python/hardcoded-key-bytes"]],
  ["py", "hardcoded_secret", "key = os.environ[\"KEY\"].encode()", []],
  ["py", "hardcoded_secret", "mac = hmac.new(b\"supersecretvalue\", msg, hashlib.sha256)", ["python/hardcoded-key-bytes"]],
  ["py", "hardcoded_secret", "mac = hmac.new(key, msg, hashlib.sha256)", []],
  ["ts", "sql_injection", "const rows = await db.query(`SELECT * FROM users WHERE email = '${email}'`);", ["typescript/sql-built-query", "typescript/sql-built-string"]],
  ["ts", "sql_injection", "const rows = await db.query(\"SELECT * FROM users WHERE email = $1\", [email]);", []],
  ["ts", "sql_injection", "await connection.query(\"SELECT * FROM users WHERE id = \" + req.params.id);", ["typescript/sql-built-query", "typescript/sql-built-string"]],
  ["ts", "sql_injection", "await prisma.$queryRawUnsafe(`SELECT * FROM t WHERE id = ${id}`);", ["typescript/sql-built-query", "typescript/sql-built-string", "typescript/sql-unsafe-raw"]],
  ["ts", "command_injection", "const out = execSync(`git log ${branch}`);", ["typescript/child-process-shell"]],
  ["ts", "command_injection", "const out = execSync(\"git status\");", []],
  ["ts", "command_injection", "exec(\"convert \" + file + \" out.png\", cb);", ["typescript/child-process-shell"]],
  ["ts", "command_injection", "const m = /a(b)/.exec(text);", []],
  ["ts", "command_injection", "const m = pattern.exec(text);", []],
  ["ts", "command_injection", "spawn(cmd, { shell: true });", ["typescript/spawn-shell-true"]],
  ["ts", "command_injection", "spawn(\"git\", [\"log\"], { shell: false });", []],
  ["ts", "command_injection", "spawn(\"sh\", [\"-c\", command]);", ["typescript/spawn-sh-c"]],
  ["ts", "code_injection", "const fn = new Function(\"a\", \"b\", body);", ["typescript/eval-dynamic"]],
  ["ts", "code_injection", "const fn = new Function(\"a\", \"return a + 1\");", []],
  ["ts", "code_injection", "eval(code);", ["typescript/eval-dynamic"]],
  ["ts", "code_injection", "vm.runInNewContext(req.body.script, sandbox);", ["typescript/eval-dynamic"]],
  ["ts", "deserialization", "const obj = serialize.unserialize(req.cookies.profile);", ["typescript/unsafe-deserialize"]],
  ["ts", "path_traversal", "res.sendFile(path.join(__dirname, \"public\", req.params.file));", ["typescript/path-from-request"]],
  ["ts", "path_traversal", "res.sendFile(path.join(__dirname, \"public\", \"index.html\"));", []],
  ["ts", "ssrf", "const r = await fetch(req.query.url);", ["typescript/request-url-from-input"]],
  ["ts", "ssrf", "const r = await fetch(\"https://api.example.com/x\");", []],
  ["ts", "ssrf", "const r = await axios.get(req.body.target);", ["typescript/request-url-from-input"]],
  ["ts", "tls_disabled", "const agent = new https.Agent({ rejectUnauthorized: false });", ["typescript/reject-unauthorized-false"]],
  ["ts", "tls_disabled", "process.env.NODE_TLS_REJECT_UNAUTHORIZED = \"0\";", ["typescript/reject-unauthorized-false"]],
  ["ts", "cors_open", "res.setHeader(\"Access-Control-Allow-Origin\", \"*\");", ["typescript/cors-any-origin"]],
  ["ts", "cors_open", "res.setHeader(\"Access-Control-Allow-Origin\", req.headers.origin);", ["typescript/cors-any-origin"]],
  ["ts", "cors_open", "res.setHeader(\"Access-Control-Allow-Origin\", \"https://app.example.com\");", []],
  ["ts", "cors_open", "app.use(cors({ origin: \"*\" }));", ["typescript/cors-any-origin"]],
  ["ts", "cors_open", "app.use(cors({ origin: true, credentials: true }));", ["typescript/cors-any-origin"]],
  ["ts", "cors_open", "app.use(cors({ origin: [\"https://a.example.com\"] }));", []],
  ["ts", "csrf_disabled", "export default defineConfig({ csrf: false });", ["typescript/csrf-disabled"]],
  ["ts", "hardcoded_secret", "const key = Buffer.from(\"0123456789abcdef0123456789abcdef\");", ["typescript/hardcoded-key-bytes"]],
  ["ts", "hardcoded_secret", "const key = Buffer.from(process.env.KEY, \"hex\");", []],
  ["ts", "hardcoded_secret", "const iv = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);", ["typescript/hardcoded-key-bytes"]],
  ["ts", "hardcoded_secret", "const h = crypto.createHmac(\"sha256\", \"my-hardcoded-signing-key\");", ["typescript/hardcoded-key-bytes"]],
  ["ts", "hardcoded_secret", "const h = crypto.createHmac(\"sha256\", secret);", []],
  ["ts", "path_traversal", "for (const entry of zip.getEntries()) { fs.writeFileSync(path.join(out, entry.entryName), entry.getData()); }", ["typescript/zip-slip"]],
  ["ts", "sql_injection", "const sql = \"SELECT id FROM accounts WHERE owner = '\" + owner + \"'\";", ["typescript/sql-built-string"]],
  ["ts", "sql_injection", "throw new Error(`select failed from ${x}`);", []],
  ["ts", "deserialization", "const cfg = yaml.load(text);", []],
  ["ts", "tls_disabled", "const agent = new https.Agent({ rejectUnauthorized: true });", []],
  ["ts", "csrf_disabled", "export default defineConfig({ csrf: true });", []],
  ["go", "sql_injection", "rows, err := db.Query(\"SELECT * FROM users WHERE name = '\" + name + \"'\")", ["go/sql-built-query", "go/sql-built-string"]],
  ["go", "sql_injection", "rows, err := db.Query(\"SELECT * FROM users WHERE name = ?\", name)", []],
  ["go", "sql_injection", "rows, err := db.Query(fmt.Sprintf(\"SELECT * FROM users WHERE name = '%s'\", name))", ["go/sql-built-query", "go/sql-built-string"]],
  ["go", "sql_injection", "q := fmt.Sprintf(\"DELETE FROM sessions WHERE user = '%s'\", user)", ["go/sql-built-string"]],
  ["go", "command_injection", "cmd := exec.Command(\"sh\", \"-c\", \"tar xzf \"+archive)", ["go/exec-shell-c"]],
  ["go", "command_injection", "cmd := exec.Command(\"sh\", \"-c\", \"make clean\")", []],
  ["go", "command_injection", "cmd := exec.Command(\"tar\", \"xzf\", archive)", []],
  ["go", "code_injection", "tpl, err := pongo2.FromString(body)", ["go/template-from-input"]],
  ["go", "path_traversal", "p := filepath.Join(root, r.URL.Query().Get(\"file\"))", ["go/path-from-request"]],
  ["go", "path_traversal", "p := filepath.Join(root, \"static\", name)", []],
  ["go", "path_traversal", "target := filepath.Join(dest, f.Name)", ["go/zip-slip"]],
  ["go", "ssrf", "resp, err := http.Get(r.URL.Query().Get(\"url\"))", ["go/request-url-from-input"]],
  ["go", "ssrf", "resp, err := http.Get(\"https://example.com\")", []],
  ["go", "tls_disabled", "cfg := &tls.Config{InsecureSkipVerify: true}", ["go/insecure-skip-verify"]],
  ["go", "tls_disabled", "cfg := &tls.Config{MinVersion: tls.VersionTLS12}", []],
  ["go", "cors_open", "w.Header().Set(\"Access-Control-Allow-Origin\", \"*\")", ["go/cors-any-origin"]],
  ["go", "cors_open", "w.Header().Set(\"Access-Control-Allow-Origin\", r.Header.Get(\"Origin\"))", ["go/cors-any-origin"]],
  ["go", "cors_open", "router.Use(cors.New(cors.Config{AllowAllOrigins: true}))", ["go/cors-any-origin"]],
  ["go", "hardcoded_secret", "mac := hmac.New(sha256.New, []byte(\"super-secret-signing-key\"))", ["go/hardcoded-key-bytes"]],
  ["go", "hardcoded_secret", "mac := hmac.New(sha256.New, key)", []],
  ["go", "hardcoded_secret", "block, err := aes.NewCipher([]byte(\"0123456789abcdef\"))", ["go/hardcoded-key-bytes"]],
  ["go", "hardcoded_secret", "var jwtKey = []byte(\"my_secret_key_123\")", ["go/hardcoded-key-bytes"]],
  ["go", "hardcoded_secret", "key := []byte{0x01, 0x02, 0x03, 0x04}", ["go/hardcoded-key-bytes"]],
  ["go", "code_injection", "tpl, err := pongo2.FromString(\"Hello {{ name }}\")", []],
  ["go", "cors_open", "w.Header().Set(\"Access-Control-Allow-Origin\", \"https://app.example.com\")", []],
  ["go", "deserialization", "dec := gob.NewDecoder(r.Body)", ["go/yaml-gob-untrusted"]],
  ["go", "deserialization", "dec := gob.NewDecoder(file)", []],
  ["go", "csrf_disabled", "CSRF := nosurf.New(handler); CSRF.ExemptPath(\"/webhook\")", ["go/csrf-disabled"]],
  ["go", "csrf_disabled", "CSRF := nosurf.New(handler)", []],
  ["go", "csrf_disabled", "csrfHandler := nosurf.New(handler)\n\tcsrfHandler.ExemptPath(\"/webhook\")", ["go/csrf-disabled"]],
  ["java", "sql_injection", "ResultSet rs = stmt.executeQuery(\"SELECT * FROM users WHERE name = '\" + name + \"'\");", ["java/sql-built-query", "java/sql-built-string"]],
  ["java", "sql_injection", "PreparedStatement ps = conn.prepareStatement(\"SELECT * FROM users WHERE name = ?\");", []],
  ["java", "sql_injection", "Query q = em.createQuery(\"SELECT u FROM User u WHERE u.name = '\" + name + \"'\");", ["java/sql-built-query", "java/sql-built-string"]],
  ["java", "command_injection", "Process p = Runtime.getRuntime().exec(\"ping -c 1 \" + host);", ["java/runtime-exec-string"]],
  ["java", "command_injection", "Process p = Runtime.getRuntime().exec(new String[]{\"ping\", \"-c\", \"1\", host});", []],
  ["java", "code_injection", "Object r = engine.eval(request.getParameter(\"script\"));", ["java/script-engine-eval"]],
  ["java", "deserialization", "Object o = new ObjectInputStream(in).readObject();", ["java/object-input-stream"]],
  ["java", "deserialization", "mapper.enableDefaultTyping();", ["java/jackson-default-typing"]],
  ["java", "path_traversal", "File f = new File(uploadDir, request.getParameter(\"name\"));", ["java/path-from-request"]],
  ["java", "path_traversal", "File out = new File(destDir, entry.getName());", ["java/zip-slip"]],
  ["java", "ssrf", "URLConnection c = new URL(request.getParameter(\"url\")).openConnection();", ["java/request-url-from-input"]],
  ["java", "tls_disabled", "public void checkServerTrusted(X509Certificate[] chain, String authType) {}", ["java/trust-all-certificates"]],
  ["java", "tls_disabled", "public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException { delegate.checkServerTrusted(chain, authType); }", []],
  ["java", "tls_disabled", "public boolean verify(String hostname, SSLSession session) { return true; }", ["java/trust-all-certificates"]],
  ["java", "cors_open", "@CrossOrigin(\"*\")\n    public String hello() { return \"hi\"; }", ["java/cors-any-origin"]],
  ["java", "cors_open", "@CrossOrigin\n    public String hello() { return \"hi\"; }", ["java/cors-any-origin"]],
  ["java", "cors_open", "@CrossOrigin(origins = \"https://app.example.com\")\n    public String hello() { return \"hi\"; }", []],
  ["java", "csrf_disabled", "http.csrf().disable();", ["java/csrf-disabled"]],
  ["java", "csrf_disabled", "http.csrf(AbstractHttpConfigurer::disable);", ["java/csrf-disabled"]],
  ["java", "csrf_disabled", "http.csrf(csrf -> csrf.disable());", ["java/csrf-disabled"]],
  ["java", "hardcoded_secret", "SecretKeySpec k = new SecretKeySpec(\"0123456789abcdef\".getBytes(), \"AES\");", ["java/hardcoded-key-bytes"]],
  ["java", "hardcoded_secret", "SecretKeySpec k = new SecretKeySpec(keyBytes, \"AES\");", []],
  ["java", "hardcoded_secret", "private static final byte[] KEY = {0x01, 0x02, 0x03, 0x04};", ["java/hardcoded-key-bytes"]],
  ["java", "deserialization", "XMLDecoder d = new XMLDecoder(input);", ["java/object-input-stream"]],
  ["java", "code_injection", "Object r = engine.eval(\"1 + 1\");", []],
  ["java", "deserialization", "Object o = mapper.readValue(json, Order.class);", []],
  ["java", "path_traversal", "File f = new File(uploadDir, UUID.randomUUID().toString());", []],
  ["java", "ssrf", "URLConnection c = new URL(\"https://api.example.com/status\").openConnection();", []],
  ["java", "csrf_disabled", "http.csrf(Customizer.withDefaults());", []],
  ["rb", "sql_injection", "User.where(\"name = '#{params[:name]}'\")", ["ruby/sql-interpolated-query"]],
  ["rb", "sql_injection", "User.where(\"name = ?\", params[:name])", []],
  ["rb", "sql_injection", "User.where(name: params[:name])", []],
  ["rb", "command_injection", "output = `ls #{dir}`", ["ruby/shell-interpolated"]],
  ["rb", "command_injection", "output = `ls -la`", []],
  ["rb", "command_injection", "system(\"convert #{file} out.png\")", ["ruby/shell-interpolated"]],
  ["rb", "command_injection", "system(\"convert\", file, \"out.png\")", []],
  ["rb", "command_injection", "IO.popen(\"grep #{pattern} log.txt\")", ["ruby/shell-interpolated"]],
  ["rb", "code_injection", "eval(params[:code])", ["ruby/eval-dynamic"]],
  ["rb", "code_injection", "instance_eval(\"1 + 1\")", []],
  ["rb", "code_injection", "obj.send(params[:method])", ["ruby/eval-dynamic"]],
  ["rb", "code_injection", "render inline: params[:template]", ["ruby/render-inline"]],
  ["rb", "deserialization", "obj = Marshal.load(data)", ["ruby/unsafe-load"]],
  ["rb", "deserialization", "cfg = YAML.load(File.read(path))", ["ruby/unsafe-load"]],
  ["rb", "deserialization", "cfg = YAML.safe_load(File.read(path))", []],
  ["rb", "path_traversal", "send_file File.join(UPLOAD_DIR, params[:filename])", ["ruby/path-from-params"]],
  ["rb", "path_traversal", "send_file File.join(UPLOAD_DIR, \"report.pdf\")", []],
  ["rb", "ssrf", "res = Net::HTTP.get(URI(params[:url]))", ["ruby/request-url-from-params"]],
  ["rb", "ssrf", "doc = URI.open(params[:url]).read", ["ruby/request-url-from-params"]],
  ["rb", "tls_disabled", "http.verify_mode = OpenSSL::SSL::VERIFY_NONE", ["ruby/verify-none"]],
  ["rb", "tls_disabled", "http.verify_mode = OpenSSL::SSL::VERIFY_PEER", []],
  ["rb", "cors_open", "origins \"*\"", ["ruby/cors-any-origin"]],
  ["rb", "cors_open", "origins \"https://app.example.com\"", []],
  ["rb", "csrf_disabled", "skip_before_action :verify_authenticity_token", ["ruby/csrf-skipped"]],
  ["rb", "csrf_disabled", "skip_before_action :authenticate_user!", []],
  ["rb", "csrf_disabled", "protect_from_forgery except: :create", ["ruby/csrf-skipped"]],
  ["rb", "csrf_disabled", "protect_from_forgery with: :exception", []],
  ["rb", "hardcoded_secret", "KEY = Base64.decode64(\"c2VjcmV0c2VjcmV0c2VjcmV0\")", ["ruby/hardcoded-key-bytes"]],
  ["rb", "cors_open", "headers[\"Access-Control-Allow-Origin\"] = \"*\"", ["ruby/cors-any-origin"]],
  ["rb", "ssrf", "res = Net::HTTP.get(URI(\"https://api.example.com/status\"))", []],
  ["rb", "hardcoded_secret", "KEY = ENV.fetch(\"SIGNING_KEY\")", []],
  ["php", "sql_injection", "$r = $pdo->query(\"SELECT * FROM users WHERE name = '$name'\");", ["php/sql-built-query", "php/sql-built-string"]],
  ["php", "sql_injection", "$stmt = $pdo->prepare(\"SELECT * FROM users WHERE name = ?\");", []],
  ["php", "sql_injection", "$r = mysqli_query($conn, \"SELECT * FROM users WHERE id = \" . $_GET['id']);", ["php/sql-built-query", "php/sql-built-string"]],
  ["php", "command_injection", "$out = shell_exec(\"ls \" . $dir);", ["php/shell-exec-dynamic"]],
  ["php", "command_injection", "$out = shell_exec(\"ls \" . escapeshellarg($dir));", []],
  ["php", "command_injection", "system($cmd);", ["php/shell-exec-dynamic"]],
  ["php", "command_injection", "system(\"uptime\");", []],
  ["php", "command_injection", "$x = `ls $dir`;", ["php/shell-exec-dynamic"]],
  ["php", "code_injection", "eval($code);", ["php/eval-dynamic"]],
  ["php", "deserialization", "$obj = unserialize($_COOKIE['data']);", ["php/unserialize"]],
  ["php", "deserialization", "$obj = unserialize($data, ['allowed_classes' => false]);", []],
  ["php", "path_traversal", "include $_GET['page'] . '.php';", ["php/path-from-request"]],
  ["php", "path_traversal", "$c = file_get_contents($_GET['url']);", ["php/path-from-request", "php/request-url-from-input"]],
  ["php", "ssrf", "curl_setopt($ch, CURLOPT_URL, $_GET['u']);", ["php/request-url-from-input"]],
  ["php", "tls_disabled", "curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);", ["php/curl-verify-off"]],
  ["php", "tls_disabled", "curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, true);", []],
  ["php", "cors_open", "header(\"Access-Control-Allow-Origin: *\");", ["php/cors-any-origin"]],
  ["php", "cors_open", "header(\"Access-Control-Allow-Origin: https://example.com\");", []],
  ["php", "hardcoded_secret", "$sig = hash_hmac('sha256', $data, 'my-very-secret-key');", ["php/hardcoded-key-bytes"]],
  ["php", "hardcoded_secret", "$sig = hash_hmac('sha256', $data, $key);", []],
  ["php", "code_injection", "$t = $twig->createTemplate($_POST['tpl']);", ["php/template-from-string"]],
  ["php", "code_injection", "$x = eval('return 1;');", []],
  ["php", "path_traversal", "$c = file_get_contents(__DIR__ . '/config.json');", []],
  ["php", "ssrf", "curl_setopt($ch, CURLOPT_URL, 'https://api.example.com/status');", []],
  ["php", "csrf_disabled", "$config = ['csrf_protection' => false];", ["php/csrf-disabled"]],
  ["php", "csrf_disabled", "$config = ['csrf_protection' => true];", []],
  ["cs", "sql_injection", "var cmd = new SqlCommand(\"SELECT * FROM Users WHERE Name = '\" + name + \"'\", conn);", ["csharp/sql-built-query", "csharp/sql-built-string"]],
  ["cs", "sql_injection", "var cmd = new SqlCommand(\"SELECT * FROM Users WHERE Name = @name\", conn);", []],
  ["cs", "sql_injection", "var users = db.Users.FromSqlRaw($\"SELECT * FROM Users WHERE Name = '{name}'\").ToList();", ["csharp/sql-built-query", "csharp/sql-built-string"]],
  ["cs", "sql_injection", "cmd.CommandText = \"DELETE FROM Sessions WHERE Id = \" + id;", ["csharp/command-text-built", "csharp/sql-built-string"]],
  ["cs", "command_injection", "Process.Start(\"cmd.exe\", \"/c \" + userCommand);", ["csharp/process-start-built"]],
  ["cs", "command_injection", "Process.Start(\"notepad.exe\");", []],
  ["cs", "deserialization", "var obj = new BinaryFormatter().Deserialize(stream);", ["csharp/unsafe-deserializer"]],
  ["cs", "deserialization", "var settings = new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.All };", ["csharp/unsafe-deserializer"]],
  ["cs", "deserialization", "var settings = new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.None };", []],
  ["cs", "path_traversal", "var path = Path.Combine(_root, Request.Query[\"file\"]);", ["csharp/path-from-request"]],
  ["cs", "path_traversal", "var path = Path.Combine(destination, entry.FullName);", ["csharp/zip-slip"]],
  ["cs", "ssrf", "var html = await client.GetStringAsync(Request.Query[\"url\"]);", ["csharp/request-url-from-input"]],
  ["cs", "tls_disabled", "ServicePointManager.ServerCertificateValidationCallback = (s, c, ch, e) => true;", ["csharp/certificate-validation-off"]],
  ["cs", "tls_disabled", "handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;", ["csharp/certificate-validation-off"]],
  ["cs", "cors_open", "policy.AllowAnyOrigin().AllowAnyHeader();", ["csharp/cors-any-origin"]],
  ["cs", "cors_open", "policy.WithOrigins(\"https://app.example.com\");", []],
  ["cs", "csrf_disabled", "[IgnoreAntiforgeryToken]\n    public IActionResult Post() { return Ok(); }", ["csharp/antiforgery-ignored"]],
  ["cs", "csrf_disabled", "[ValidateAntiForgeryToken]\n    public IActionResult Post() { return Ok(); }", []],
  ["cs", "hardcoded_secret", "byte[] key = { 0x01, 0x02, 0x03, 0x04 };", ["csharp/hardcoded-key-bytes"]],
  ["cs", "hardcoded_secret", "var key = Encoding.UTF8.GetBytes(\"my-super-secret-signing-key\");", ["csharp/hardcoded-key-bytes"]],
  ["cs", "hardcoded_secret", "var key = Encoding.UTF8.GetBytes(config[\"Jwt:Key\"]);", []],
  ["cs", "code_injection", "var result = await CSharpScript.EvaluateAsync(Request.Form[\"code\"]);", ["csharp/dynamic-code"]],
  ["cs", "code_injection", "var result = await CSharpScript.EvaluateAsync(\"1 + 2\");", []],
  ["cs", "path_traversal", "var path = Path.Combine(_root, \"static\", \"index.html\");", []],
  ["cs", "ssrf", "var html = await client.GetStringAsync(\"https://api.example.com/status\");", []],
  ["cs", "tls_disabled", "handler.ServerCertificateCustomValidationCallback = (m, c, ch, e) => e == SslPolicyErrors.None;", []],
];

describe("structural rules, language by language", () => {
  for (const [ext, category, code, expected] of CASES) {
    const label = `${ext} ${category} ${expected.length > 0 ? "finds" : "passes"}: ${code.split("\n")[0].trim().slice(0, 70)}`;
    it(label, () => {
      expect(rulesIn(`src/app/module.${EXTENSION[ext]}`, code)).toEqual(expected);
    });
  }

  it("covers every category with a positive and a negative case in every language", () => {
    const categories = ["sql_injection", "command_injection", "code_injection", "deserialization", "path_traversal", "ssrf", "tls_disabled", "cors_open", "csrf_disabled", "hardcoded_secret"];
    for (const ext of Object.keys(EXTENSION)) {
      for (const category of categories) {
        const cases = CASES.filter(([e, c]) => e === ext && c === category);
        expect(cases.some(([, , , rules]) => rules.length > 0), `${ext} ${category} positive`).toBe(true);
        expect(cases.some(([, , , rules]) => rules.length === 0), `${ext} ${category} negative`).toBe(true);
      }
    }
  });

  it("gives each positive case a finding of its category", () => {
    const categoryOf = new Map(loadStructuralRules().map((r) => [r.id, r.category]));
    for (const [, category, , rules] of CASES) {
      if (rules.length > 0) expect(rules.map((r) => categoryOf.get(r))).toContain(category);
    }
  });
});

describe("structural engine: what counts as new", () => {
  const vulnerable = 'cursor.execute(f"SELECT * FROM users WHERE name = \'{name}\'")';

  it("does not report a vulnerable context line, only added ones", () => {
    const diff = [
      "diff --git a/app/db.py b/app/db.py",
      "--- a/app/db.py",
      "+++ b/app/db.py",
      "@@ -10,3 +10,4 @@ def find(name):",
      `     ${vulnerable}`,
      "     rows = cursor.fetchall()",
      "+    log.info('found %d', len(rows))",
      "     return rows",
    ].join("\n") + "\n";
    expect(findingsIn(diff)).toEqual([]);
  });

  it("reports an added line at its new line number, once per rule and line", () => {
    const diff = [
      "diff --git a/app/db.py b/app/db.py",
      "--- a/app/db.py",
      "+++ b/app/db.py",
      "@@ -40,3 +40,4 @@ def find(name):",
      "     cursor = conn.cursor()",
      `-    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))`,
      `+    ${vulnerable}`,
      "+    rows = cursor.fetchall()",
      "     return rows",
    ].join("\n") + "\n";
    const found = findingsIn(diff);
    expect(found.map((f) => [f.rule, f.line, f.category, f.file])).toEqual([
      ["python/sql-built-query", 41, "sql_injection", "app/db.py"],
      ["python/sql-built-string", 41, "sql_injection", "app/db.py"],
    ]);
    expect(found[0].message).not.toMatch(/\n/);
  });

  it("reports a multi-line call when only its argument line was added", () => {
    const diff = [
      "diff --git a/app/db.py b/app/db.py",
      "--- a/app/db.py",
      "+++ b/app/db.py",
      "@@ -5,3 +5,3 @@",
      "     cursor.execute(",
      '-        "SELECT * FROM t WHERE id = %s", (uid,)',
      '+        "SELECT * FROM t WHERE id = %s" % uid',
      "     )",
    ].join("\n") + "\n";
    expect(findingsIn(diff).map((f) => [f.rule, f.line])).toContainEqual(["python/sql-built-query", 6]);
  });

  it("maps lines in every hunk of a file, also past the hunks parsed together", () => {
    const hunks: string[] = [];
    const count = MAX_PARSES_PER_FILE * 2 + 5;
    for (let h = 0; h < count; h++) {
      const start = h * 100 + 1;
      hunks.push(`@@ -${start},2 +${start},2 @@`, " def f():", "-    pass", "+    os.system(\"rm -rf \" + path)");
    }
    const diff = ["diff --git a/app/m.py b/app/m.py", "--- a/app/m.py", "+++ b/app/m.py", ...hunks].join("\n") + "\n";
    const lines = findingsIn(diff).map((f) => f.line);
    expect(lines).toEqual(Array.from({ length: count }, (_, h) => h * 100 + 2));
  });

  it("parses PHP fragments without their opening tag and keeps line numbers", () => {
    const found = findingsIn(addedFile("src/page.php", "$id = 1;\n$r = $pdo->query(\"SELECT * FROM t WHERE id = $id\");"));
    expect(found.map((f) => [f.rule, f.line])).toContainEqual(["php/sql-built-query", 2]);
  });

  it("skips test files, docs and languages it has no rules for", () => {
    const code = 'os.system("rm -rf " + path)';
    expect(findingsIn(addedFile("tests/test_cleanup.py", code))).toEqual([]);
    expect(findingsIn(addedFile("docs/guide.md", code))).toEqual([]);
    expect(findingsIn(addedFile("src/cleanup.pl", code))).toEqual([]);
    expect(findingsIn(addedFile("src/cleanup.py", code)).length).toBe(1);
  });

  it("maps extensions to languages", () => {
    for (const ext of ["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"]) expect(languageOfPath(`a/b.${ext}`)).toBe("typescript");
    expect(languageOfPath("a/b.py")).toBe("python");
    expect(languageOfPath("a/b.cs")).toBe("csharp");
    expect(languageOfPath("a/b.rs")).toBeNull();
  });

  it("names findings ast-grep:<language>/<rule> through the orchestrator", async () => {
    const diff = parseUnifiedDiff(addedFile("src/run.ts", "const out = execSync(`git log ${branch}`);"));
    const report = await runReviewRules(diff, { engines: [astGrep] });
    expect(report.findings.map(ruleIdOf)).toEqual(["ast-grep:typescript/child-process-shell"]);
    expect(report.findings[0].category).toBe("command_injection");
    expect(report.unreviewedFiles).toEqual([]);
  });

  it("does not parse a line over 64 KB: it says so (which escalates) instead of stalling", () => {
    expect(() => findingsIn(addedFile("src/big.py", `s = "${"x".repeat(1 << 20)}" + execute`))).toThrow(/does not parse a line of 1024 KB/);
    // A deeply nested expression under the limit parses; speed is measured in bench/review-rules-input.ts.
    expect(findingsIn(addedFile("src/deep.py", Array.from({ length: 9_000 }, () => "a+b(c)").join("+") + " # execute eval"))).toEqual([]);
  });

  it("reads past NUL bytes: a NUL does not end what the rules see", () => {
    const found = findingsIn(addedFile("src/run.py", ["x = '\0'", "os.system('ls ' + request.args['dir'])"].join("\n")));
    expect(found.length).toBeGreaterThan(0);
  });
});

describe("structural rule files", () => {
  it("load, and every rule compiles in its language", () => {
    const files = structuralRuleFiles();
    const rules = loadStructuralRules();
    for (const language of STRUCTURAL_LANGUAGES) {
      expect(files.some((f) => f.startsWith(`${language}/`)), `${language} has rule files`).toBe(true);
      expect(rules.some((r) => r.language === language), `${language} has rules`).toBe(true);
    }
    // Every file holds at least one rule, and every rule is named after its folder and category.
    for (const file of files) expect(rules.some((r) => r.source === file), file).toBe(true);
    for (const rule of rules) {
      expect(rule.id.startsWith(`${rule.language}/`)).toBe(true);
      expect(ruleCategories).toContain(rule.category);
      expect(rule.message.length).toBeLessThan(400);
      expect(rule.message).toMatch(/\.$/);
    }
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(AST_GREP_RULES_DIR).toMatch(/rule-sets\/ast-grep$/);
  });

  it("rejects a rule whose regex uses Unicode classes or that does not compile", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "ast-grep-rules-"));
    mkdirSync(join(dir, "python"));
    const rule = (body: string) => `id: python/x\nlanguage: python\nseverity: high\nmessage: m.\nmetadata: { category: sql_injection }\nrule:\n${body}\n`;
    writeFileSync(join(dir, "python", "x.yml"), rule('  regex: "\\\\w+"'));
    expect(() => loadStructuralRules(dir)).toThrow(/ASCII/);
    writeFileSync(join(dir, "python", "x.yml"), rule("  kind: no_such_kind"));
    expect(() => loadStructuralRules(dir)).toThrow(/does not compile/);
    writeFileSync(join(dir, "python", "x.yml"), rule("  kind: call").replace("sql_injection", "nonsense"));
    expect(() => loadStructuralRules(dir)).toThrow(/category/);
  });

  it("reads the literal text a regex needs, and nothing it does not", () => {
    expect(regexNeeds("^(os[.]system|subprocess[.]run)$")).toEqual(["os.system", "subprocess.run"]);
    expect(regexNeeds("(^|[.])(Query|Exec)$")).toEqual(["query", "exec"]);
    expect(regexNeeds("^[\\[][\\]]byte[(]")).toEqual(["[]byte("]);
    expect(regexNeeds("(?i)(select|insert) ")).toEqual(["select ", "insert "]);
    expect(regexNeeds("^a?b")).toBeNull();
    expect(regexNeeds(".*")).toBeNull();
  });
});
