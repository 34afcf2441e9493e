/**
 * TLS material for the local brokers' SSL listener: a private CA, a broker certificate for
 * 127.0.0.1 and localhost, and a client certificate, so both producers' TLS and mutual TLS run
 * against a real broker (MSK requires TLS in transit, and a self-managed cluster may require client
 * certificates). Made once per stack directory with `openssl` and kept under `conf/tls/`; a test
 * stack's throwaway keys, never a real secret.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { MissingToolError } from "./errors";
import type { StackLayout } from "./types";

const run = promisify(execFile);

/** Where a stack's TLS files are; the password guards only the broker's local PKCS#12 keystore. */
export interface LocalTlsFiles {
  readonly dir: string;
  /** The private root CA, PEM: the brokers' truststore and what clients trust. */
  readonly caCertificate: string;
  /** The broker's key and certificate chain, PKCS#12. */
  readonly brokerKeystore: string;
  readonly keystorePassword: string;
  /** A client certificate signed by the CA and its PKCS#8 key, PEM, for mutual TLS. */
  readonly clientCertificate: string;
  readonly clientKey: string;
}

/** A local keystore's password: the file sits next to the key it protects, under `.stack/`. */
const KEYSTORE_PASSWORD = "local-stack-only";
const DAYS = "3650";

export function localTlsFiles(layout: StackLayout): LocalTlsFiles {
  const dir = layout.confDir("tls");
  return {
    dir,
    caCertificate: join(dir, "ca.pem"),
    brokerKeystore: join(dir, "broker.p12"),
    keystorePassword: KEYSTORE_PASSWORD,
    clientCertificate: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
  };
}

/** The PEM texts a client needs for mutual TLS with the local brokers. */
export async function readClientTls(
  layout: StackLayout,
): Promise<{ ca: string; certificate: string; privateKey: string }> {
  const files = localTlsFiles(layout);
  const [ca, certificate, privateKey] = await Promise.all(
    [files.caCertificate, files.clientCertificate, files.clientKey].map((file) => readFile(file, "utf8")),
  );
  return { ca: ca as string, certificate: certificate as string, privateKey: privateKey as string };
}

const pending = new Map<string, Promise<LocalTlsFiles>>();

/**
 * The stack's TLS files, made on first use: built in a scratch directory and renamed into place,
 * so nodes prepared in parallel, or a start interrupted half way, never see half a set.
 */
export function ensureLocalTls(layout: StackLayout): Promise<LocalTlsFiles> {
  const files = localTlsFiles(layout);
  let made = pending.get(files.dir);
  if (made === undefined) {
    made = existsSync(files.brokerKeystore) ? Promise.resolve(files) : makeTls(files);
    pending.set(files.dir, made);
    made.catch(() => pending.delete(files.dir));
  }
  return made;
}

async function makeTls(files: LocalTlsFiles): Promise<LocalTlsFiles> {
  const scratch = `${files.dir}.${process.pid}.tmp`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const at = (name: string) => join(scratch, name);
  const openssl = async (args: string[]) => {
    try {
      await run("openssl", args, { cwd: scratch });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new MissingToolError("openssl", "is not on the PATH (it makes the brokers' TLS certificates)");
      }
      throw error;
    }
  };
  await openssl([
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", DAYS],
    ...["-keyout", at("ca.key"), "-out", at("ca.pem"), "-subj", "/CN=kafka-lambda local stack CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  const signed = async (name: string, subject: string, extensions: string) => {
    await writeFile(at(`${name}.ext`), extensions);
    await openssl([
      ...["req", "-newkey", "rsa:2048", "-nodes", "-keyout", at(`${name}.key`)],
      ...["-out", at(`${name}.csr`), "-subj", subject],
    ]);
    await openssl([
      ...["x509", "-req", "-in", at(`${name}.csr`), "-CA", at("ca.pem"), "-CAkey", at("ca.key")],
      ...["-CAcreateserial", "-days", DAYS, "-out", at(`${name}.pem`), "-extfile", at(`${name}.ext`)],
    ]);
  };
  // Clients check the broker's name against what they dialled: 127.0.0.1 (and localhost).
  await signed(
    "broker",
    "/CN=localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  await signed("client", "/CN=kafka-lambda-client", "extendedKeyUsage=clientAuth\n");
  await openssl([
    ...["pkcs12", "-export", "-in", at("broker.pem"), "-inkey", at("broker.key"), "-certfile", at("ca.pem")],
    ...["-name", "kafka", "-out", at("broker.p12"), "-passout", `pass:${KEYSTORE_PASSWORD}`],
  ]);
  await rm(files.dir, { recursive: true, force: true });
  await rename(scratch, files.dir);
  return files;
}
