import Testing

@Test func placeholderTUITests() { #expect(1 + 1 == 2) }
