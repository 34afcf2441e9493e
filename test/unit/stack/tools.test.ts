import { describe, expect, it } from "vitest";
import { MissingToolError } from "../../../stack/errors";
import { findJava, findMaven, parseJavaMajorVersion } from "../../../stack/tools";

describe("parseJavaMajorVersion", () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "25-ea" 2025-09-16', 25],
    ["no version here", undefined],
  ])("reads %s as %s", (text, major) => {
    expect(parseJavaMajorVersion(text)).toBe(major);
  });
});

describe("missing tools", () => {
  it("names java and points at docker compose when JAVA_HOME leads nowhere", () => {
    const find = () => findJava({ JAVA_HOME: "/nonexistent-jdk" });

    expect(find).toThrow(MissingToolError);
    expect(find).toThrow(/java was not found .*docker compose up -d/s);
  });

  it("names mvn when it cannot be run", () => {
    expect(() => findMaven({ MVN: "/nonexistent/mvn" })).toThrow(/mvn was not found/);
  });
});
