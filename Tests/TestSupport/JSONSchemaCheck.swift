import Foundation

/// Validates JSON against a schema file of the repository with the `jsonschema` package in the test venv
/// (`.build/test-venv`, installed by scripts/install-test-tools).
public enum JSONSchemaCheck {
    /// The problems found (empty when the document is valid); a missing venv is a problem, not a pass.
    public static func problems(in json: Data, schema: String) throws -> [String] {
        let python = BuiltBinary.packageRoot.appendingPathComponent(".build/test-venv/bin/python")
        let schemaPath = BuiltBinary.packageRoot.appendingPathComponent(schema).path
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            validator = jsonschema.Draft202012Validator(schema)
            for error in validator.iter_errors(json.load(sys.stdin)):
                print("/".join(str(p) for p in error.absolute_path) + ": " + error.message)
            """
        let output = try ProcessOutput.runWaiting(
            python, ["-c", script, schemaPath], stdin: String(decoding: json, as: UTF8.self))
        guard output.status == 0 else { return ["jsonschema did not run: \(output.stderr)"] }
        return output.stdout.split(separator: "\n").map(String.init)
    }
}
