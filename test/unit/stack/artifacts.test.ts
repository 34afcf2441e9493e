import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fetchArtifacts, type ServiceArtifacts, servicePom, staleArtifacts } from "../../../stack/artifacts";
import { stackLayout } from "../../../stack/layout";

const s3: ServiceArtifacts = {
  service: "s3",
  artifacts: [
    {
      groupId: "org.gaul",
      artifactId: "s3proxy",
      version: "4.1.0",
      classifier: "jar-with-dependencies",
      withoutDependencies: true,
    },
  ],
};

describe("servicePom", () => {
  it("declares each artifact with its classifier and, for fat jars, no transitive dependencies", () => {
    const pom = servicePom(s3);

    expect(pom).toContain("<artifactId>s3proxy</artifactId><version>4.1.0</version>");
    expect(pom).toContain("<classifier>jar-with-dependencies</classifier>");
    expect(pom).toContain("<exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion>");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Maven's own ${...} property syntax.
    expect(pom).toContain("<outputDirectory>${project.basedir}/jars</outputDirectory>");
  });

  it("keeps a native library's type", () => {
    const pom = servicePom({
      service: "dynamodb",
      artifacts: [{ groupId: "g", artifactId: "libnative", version: "1", type: "so" }],
    });

    expect(pom).toContain("<type>so</type>");
    expect(pom).not.toContain("<exclusions>");
  });
});

describe("staleArtifacts / fetchArtifacts", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("reports services never fetched, and none once a fetch succeeded", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-artifacts-"));
    const layout = stackLayout({ stackDir: dir });
    // A stand-in for Maven that succeeds without the network.
    const fakeMvn = join(dir, "mvn");
    await writeFile(fakeMvn, "#!/bin/sh\nexit 0\n", { mode: 0o755 });

    const before = await staleArtifacts(layout, [s3]);
    await fetchArtifacts(layout, [s3], fakeMvn);
    const after = await staleArtifacts(layout, [s3]);

    expect(before.map((e) => e.service)).toEqual(["s3"]);
    expect(after).toEqual([]);
  });

  it("treats a version change as stale", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-artifacts-"));
    const layout = stackLayout({ stackDir: dir });
    await mkdir(layout.serviceLib("s3"), { recursive: true });
    await writeFile(join(layout.serviceLib("s3"), ".fetched"), `${JSON.stringify(s3.artifacts)}\n`);
    const newer: ServiceArtifacts = {
      service: "s3",
      artifacts: [{ groupId: "org.gaul", artifactId: "s3proxy", version: "9.9.9" }],
    };

    const stale = await staleArtifacts(layout, [newer]);

    expect(stale.map((e) => e.service)).toEqual(["s3"]);
  });

  it("fails with Maven's output and the log's path when Maven fails", async () => {
    dir = await mkdtemp(join(tmpdir(), "stack-artifacts-"));
    const layout = stackLayout({ stackDir: dir });
    const failingMvn = join(dir, "mvn");
    await writeFile(failingMvn, "#!/bin/sh\necho 'Could not resolve org.gaul:s3proxy'\nexit 1\n", {
      mode: 0o755,
    });

    const fetch = fetchArtifacts(layout, [s3], failingMvn);

    await expect(fetch).rejects.toThrow(
      /Maven could not fetch the jars of s3 \(exit 1\)[\s\S]*Could not resolve/,
    );
    expect(await staleArtifacts(layout, [s3])).toHaveLength(1);
  });
});
