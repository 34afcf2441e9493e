import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localSchemaRegistryUrl } from "../../../functions/lib/config";
import {
  APICURIO_QUARKUS_VERSION,
  APICURIO_REGISTRY_VERSION,
  EVERIT_JSON_SCHEMA_VERSION,
} from "../../../stack/constants";
import { schemaRegistryBuildPom, stackCacheDir } from "../../../stack/schemaRegistryBuild";
import { schemaRegistryUrl } from "../../../stack/services";

describe("schemaRegistryBuildPom", () => {
  const pom = schemaRegistryBuildPom();

  it("augments the released app with the Quarkus it was built with and the versions it pinned", () => {
    expect(pom).toContain(
      `<artifactId>apicurio-registry-app</artifactId><version>${APICURIO_REGISTRY_VERSION}</version>`,
    );
    expect(pom).toContain(
      `<artifactId>quarkus-maven-plugin</artifactId>\n        <version>${APICURIO_QUARKUS_VERSION}</version>`,
    );
    expect(pom).toMatch(
      new RegExp(
        `<artifactId>apicurio-registry</artifactId><version>${APICURIO_REGISTRY_VERSION}</version><type>pom</type><scope>import</scope>`,
      ),
    );
  });

  it("swaps the JitPack-only json-schema library for its Central coordinates", () => {
    expect(pom).toContain("<exclusion><groupId>com.github.everit-org.json-schema</groupId>");
    expect(pom).toContain(
      `<groupId>com.github.erosb</groupId><artifactId>everit-json-schema</artifactId><version>${EVERIT_JSON_SCHEMA_VERSION}</version>`,
    );
  });

  it("builds a legacy jar, so the whole class path can go into a class archive", () => {
    expect(pom).toContain("<quarkus.package.type>legacy-jar</quarkus.package.type>");
  });
});

describe("stackCacheDir", () => {
  it.each([
    [{ STACK_CACHE_DIR: "/cache/here" }, "/cache/here"],
    [{ XDG_CACHE_HOME: "/xdg" }, "/xdg/kafka-lambda-pipeline"],
    [{}, join(homedir(), ".cache", "kafka-lambda-pipeline")],
  ])("%o -> %s", (env, expected) => {
    expect(stackCacheDir(env)).toBe(expected);
  });
});

describe("the registry's URL", () => {
  it("is the ccompat v7 API on SCHEMA_REGISTRY_PORT, the same on the stack's and the functions' side", () => {
    expect(localSchemaRegistryUrl({})).toBe("http://127.0.0.1:8081/apis/ccompat/v7");
    expect(localSchemaRegistryUrl({ SCHEMA_REGISTRY_PORT: "28081" })).toBe(schemaRegistryUrl(28081));
  });

  it("takes SCHEMA_REGISTRY_URL as it is", () => {
    const url = "https://registry.example.com/apis/ccompat/v7";

    expect(localSchemaRegistryUrl({ SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_PORT: "1" })).toBe(url);
  });
});
