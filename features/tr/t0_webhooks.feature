# language: tr
@t0
Özellik: T-0 webhook'lar ve idempotency
  Webhook'lar imza ile doğrulanır ve tekrarda idempotent'tir (runbook §2C webhook izleme, CONTRACT §1 Webhooks),
  profilin her webhook route'unda ([webhooks.routes]: her birinin çağrısı, imza şeması, gövdesi ve secret'ı). İmzasız
  veya yanlış imzalı bir webhook asla para hareket ettirmez; başarısız bir payout asla ödendi sayılmaz.

  Geçmiş:
    Diyelim ki cutover hedefi erişilebilir
    Ve bakiyesi olan bir webhook test oyuncusu

  @t0_webhook_signature
  Senaryo: Her webhook route'u imzasız veya yanlış secret ile imzalanmış olayı reddeder
    Eğer ki her webhook route'una olayını imzasız ve yanlış secret ile imzalanmış gönderirim
    O zaman her biri reddedilir ve para hareket etmez

  @t0_webhook_signature @undeclared_routes
  Senaryo: Kimsenin bildirmediği her webhook benzeri route kimsenin imzalamadığını reddeder
    Eğer ki kimsenin bildirmediği webhook benzeri route'ları ararım
    O zaman her biri gerçeğine benzeyen imzasız bir olayı reddeder ve para hareket etmez

  @t0_webhook_timestamp
  Senaryo: Zaman damgalı her webhook route'u eski bir olayı reddeder
    Eğer ki zaman damgalı her webhook route'una olayını eski zaman damgasıyla gönderirim
    O zaman her biri reddedilir ve para hareket etmez

  @t0_webhook_replay
  Senaryo: Tekrarlanan bir webhook olayının hiçbir route'ta ikinci bir etkisi olmaz
    Eğer ki her webhook route'unun geçerli bir olayı yeni bir konuyu tamamlar
    O zaman her biri tam olarak bir kez etkili oldu
    Eğer ki her olay tekrar gönderilir
    O zaman her tekrar kabul edilir ve para hareket etmez

  @t0_idempotency
  Senaryo: Para isteklerinde idempotency anahtarları
    O zaman Idempotency-Key olmadan deposit reddedilir
    Ve aynı anahtarla tekrarlanan çekim aynı işlemi döndürür ve bir kez bloke eder
    Ve aynı anahtar başka bir gövdeyle 409 ile reddedilir

  @t0_webhook_classification
  Senaryo: Başarısız payout webhook'u asla ödendi sayılmaz
    Eğer ki PSP geçerli imzayla bir payout'un başarısız olduğunu bildirir
    O zaman çekim payout_failed olur ve blokesi kalır
