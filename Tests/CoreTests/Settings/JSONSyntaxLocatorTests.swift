import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct JSONSyntaxLocatorTests {
    private func locate(_ text: String) -> String? { JSONSyntaxLocator.locate(Array(text.utf8))?.description }

    @Test func validDocumentsHaveNoError() {
        for text in [
            "{}", "[]", #"{"a": [1, -2.5e3, true, false, null, "x\"y"]}"#, " 42 ", #""just a string""#,
            #"[{"status": {"status": "success"}}]"#,
        ] {
            #expect(locate(text) == nil, "\(text)")
        }
    }

    @Test func errorsNameLineColumnAndWhatWasExpected() {
        #expect(locate("{\n  \"taskId\": \"x\",\n  \"bad\": ,\n}\n") == "line 3, column 10: expected a value")
        #expect(locate(#"[{"status": {"status": "success",}}"#) == "line 1, column 34: expected a quoted key")
        #expect(locate(#"{"a": 1"#) == "line 1, column 8: expected ',' or '}'")
        #expect(locate(#"{"a": tru}"#) == "line 1, column 7: expected a value")
        #expect(locate("[1] x") == "line 1, column 5: expected the end of the document")
        #expect(locate("") == "line 1, column 1: expected a value")
        #expect(locate("{\"ä\": }") == "line 1, column 7: expected a value", "columns count characters")
    }

    @Test func deepNestingIsLocatedWithoutRecursion() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(locate(deep) == "line 1, column 100001: expected a value")
    }

    @Test func theSettingsErrorSaysWhere() {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data("{\"a\":\n}".utf8)) }
        #expect(
            JSONSyntaxError(Data("{\"a\":\n}".utf8)).detail == "not valid JSON at line 2, column 1: expected a value")
    }
}
